"""How fast a street officer's resident list is: the count and the first page of 50 of
the residents in the street with the most residents, scoped as every view scopes them.

    python benchmarks/subtree_query.py --data-dir /tmp/lf-1m            # the SQLite file demo_district.py kept
    python benchmarks/subtree_query.py --database-url postgres://postgres@127.0.0.1:55432/bench
    python benchmarks/subtree_query.py --residents 100000               # generate into a temporary SQLite first

Warm timings: one untimed run, then the median of --runs runs. --explain prints the plans.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(function, runs: int) -> float:
    function()  # warm the caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL database holding a generated district")
    parser.add_argument("--data-dir", help="a data folder holding a generated district (SQLite)")
    parser.add_argument("--residents", type=int, help="generate a district of this size first if the database has none")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args()

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="lianfang-bench-")).resolve()
    os.environ["LIANFANG_DATA"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from lianfang.core.models import Level, OrgUnit, User
    from lianfang.core.roles import Role
    from lianfang.core.scoping import scoped
    from lianfang.demo.generator import generate_district
    from lianfang.registry.models import Resident

    try:
        call_command("migrate", interactive=False, verbosity=0)
        if not OrgUnit.objects.exists():
            if not args.residents:
                sys.exit("The database holds no district: give --residents N to generate one.")
            generate_district(residents=args.residents, stdout=sys.stdout)

        def officer(street: OrgUnit) -> User:
            # Unsaved: scoping reads only the role and the jurisdiction.
            return User(username="bench", role=Role.STREET_OFFICER, jurisdiction=street)

        streets = OrgUnit.objects.filter(level=Level.STREET)
        sizes = {street: scoped(Resident.objects.all(), officer(street)).count() for street in streets}
        street = max(sizes, key=sizes.get)
        residents = scoped(Resident.objects.all(), officer(street))
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
              f"{sum(sizes.values()):,} residents in the district")
        print(f"street:   {street.name} ({street.path}), {sizes[street]:,} residents")

        count_ms = timed(lambda: residents.count(), args.runs)
        page_ms = timed(lambda: list(residents[:50]), args.runs)
        page_household_ms = timed(lambda: list(residents.select_related("household")[:50]), args.runs)
        print(f"count:                           {count_ms:8.1f} ms (median of {args.runs})")
        print(f"first page of 50:                {page_ms:8.1f} ms")
        print(f"first page of 50 with household: {page_household_ms:8.1f} ms")

        # What the list pages run: the registry's selectors, a page and its count, and a search.
        from lianfang.registry.selectors import household_list, resident_list

        actor = officer(street)
        name = residents.values_list("name", flat=True)[1000]
        selector_timings = {
            "resident_list: count": lambda: resident_list(actor=actor).count(),
            "resident_list: first page": lambda: list(resident_list(actor=actor)[:50]),
            f"resident_list q={name}: count": lambda: resident_list(actor=actor, q=name).count(),
            f"resident_list q={name}: page": lambda: list(resident_list(actor=actor, q=name)[:50]),
            "household_list: count": lambda: household_list(actor=actor).count(),
            "household_list: first page": lambda: list(household_list(actor=actor)[:50]),
        }
        for label, function in selector_timings.items():
            print(f"{label + ':':<33}{timed(function, args.runs):8.1f} ms")
        if args.explain:
            explain = "EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
            sql, params = residents.order_by().values("pk").query.sql_with_params()
            queries = {"count": (f"SELECT COUNT(*) FROM ({sql}) AS subquery", params),
                       "first page": residents[:50].query.sql_with_params()}
            with connection.cursor() as cursor:
                for label, (sql, params) in queries.items():
                    cursor.execute(f"{explain} {sql}", params)
                    print(f"\n-- {label}\n" + "\n".join(" ".join(map(str, row)) for row in cursor.fetchall()))
    finally:
        connection.close()
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
