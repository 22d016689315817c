"""How fast the demo district is generated: N residents into a fresh throwaway database.

    python benchmarks/demo_district.py --residents 1000000
    python benchmarks/demo_district.py --residents 1000000 --data-dir /tmp/lf-1m       # keep the SQLite file
    python benchmarks/demo_district.py --residents 1000000 --database-url postgres://postgres@127.0.0.1:55432/bench

Without --data-dir the SQLite file lives in a temporary folder that is deleted at the end.
With --database-url, EVERY TABLE OF THAT DATABASE IS EMPTIED first: give it a throwaway one.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20200124)
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (emptied first)")
    parser.add_argument("--data-dir", help="keep the data folder (and the SQLite file) here instead of a temporary one")
    args = parser.parse_args()

    # The settings read the environment once, at django.setup().
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="lianfang-bench-")).resolve()
    os.environ["LIANFANG_DATA"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"lianfang.sqlite3{suffix}").unlink(missing_ok=True)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from lianfang.core.models import ResponsiblePerson
    from lianfang.demo.generator import generate_district
    from lianfang.registry.models import Household, Resident

    try:
        call_command("migrate", interactive=False, verbosity=0)
        if connection.vendor != "sqlite":
            call_command("flush", interactive=False, verbosity=0)
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        started = time.monotonic()
        generate_district(residents=args.residents, seed=args.seed, stdout=sys.stdout)
        elapsed = time.monotonic() - started
        rows = Resident.objects.count() + Household.objects.count() + ResponsiblePerson.objects.count()
        print(f"residents:        {args.residents:,}")
        print(f"total time:       {elapsed:.1f} s")
        print(f"residents/s:      {args.residents / elapsed:,.0f}")
        print(f"rows/s (residents, households, responsible people): {rows / elapsed:,.0f}")
        if connection.vendor == "sqlite":
            size = sum(p.stat().st_size for p in data_dir.glob("lianfang.sqlite3*"))
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(current_database())")
                size = cursor.fetchone()[0]
        print(f"database size:    {size / 2**20:,.0f} MiB")
    finally:
        connection.close()
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
