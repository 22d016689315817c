"""How fast the transmission-chain graph builds at district scale: 5,000 cases and 20,000
contacts in the database, read through the real selectors as the district office and as one
street officer, then grouped into chains, laid out, turned into the plotly figure and
serialised to JSON (what the chains page fetches). Prints time per step and the JSON size.

    python benchmarks/tracing.py                                   # a temporary SQLite file
    python benchmarks/tracing.py --database-url postgres://postgres@127.0.0.1:55433/lfbench_tracing

The data: 16 streets; cases in clusters (60% infected by an earlier case within the last 200,
about 10% of cases in a named cluster), 20,000 contacts spread over the cases (10% of them
secondary, 3% became a case). Rows are inserted with bulk_create; --fresh empties the tracing
tables first. Warm timings: one untimed run, then the median of --runs runs.
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STREETS = 16


def setup(args) -> None:
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="lf-tracing-"))
    os.environ["LIANFANG_DATA"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def build(*, cases: int, contacts: int, seed: int = 1):
    from django.db import transaction

    from lianfang.core.models import Level, OrgUnit, User
    from lianfang.core.roles import Role
    from lianfang.tracing.models import Case, Contact

    district = OrgUnit.objects.filter(code="BENCH-TRACING").first()
    if district is not None and Case.objects.filter(district=district).count() == cases:
        return district
    rnd = random.Random(seed)
    with transaction.atomic():
        if district is None:
            district = OrgUnit.objects.create(code="BENCH-TRACING", name="基准区", level=Level.DISTRICT)
            for s in range(STREETS):
                street = OrgUnit.objects.create(code=f"BT-{s:02d}", name=f"第{s + 1}街道", level=Level.STREET, parent=district)
                OrgUnit.objects.create(code=f"BT-{s:02d}-1", name=f"第{s + 1}街道社区", level=Level.COMMUNITY, parent=street)
            User.objects.create_user(username="bench-district", password="x", role=Role.DISTRICT_OFFICE, jurisdiction=district)
            User.objects.create_user(username="bench-street", password="x", role=Role.STREET_OFFICER,
                                     jurisdiction=OrgUnit.objects.get(code="BT-00"))
        Contact.objects.filter(district=district).delete()
        Case.objects.filter(district=district).update(infected_by=None)
        Case.objects.filter(district=district).delete()
        communities = list(OrgUnit.objects.filter(level=Level.COMMUNITY, code__startswith="BT-"))
        today = dt.date.today()
        rows = []
        for i in range(cases):
            org = communities[rnd.randrange(len(communities))]
            rows.append(Case(district=district, org=org, org_path=org.path, name=f"病例{i + 1}", classification=rnd.choice(
                ["confirmed", "confirmed", "suspected", "asymptomatic"]), reported_on=today - dt.timedelta(days=rnd.randrange(30)),
                onset_date=None, cluster=f"聚集{rnd.randrange(40)}" if rnd.random() < 0.1 else ""))
        for row in rows:
            if row.classification == "confirmed":
                row.confirmed_on = row.reported_on
        created = Case.objects.bulk_create(rows, batch_size=2000)
        ids = [c.pk for c in created]
        links = []
        for n, case in enumerate(created):
            if n and rnd.random() < 0.6:
                case.infected_by_id = ids[rnd.randint(max(0, n - 200), n - 1)]
                links.append(case)
        Case.objects.bulk_update(links, ["infected_by"], batch_size=2000)
        by_id = {c.pk: c for c in created}
        became = set()
        contact_rows = []
        for j in range(contacts):
            case = by_id[ids[rnd.randrange(len(ids))]]
            kind = "secondary" if rnd.random() < 0.1 else "close"
            target = None
            if rnd.random() < 0.03:
                candidates = [c for c in links if c.infected_by_id == case.pk and c.pk not in became]
                if candidates:
                    target = candidates[0]
                    became.add(target.pk)
            contact_rows.append(Contact(district=district, case=case, org_path=case.org_path, kind=kind,
                                        setting=rnd.choice(["household", "work", "transport", "dining", "medical", "other"]),
                                        name=f"接触者{j + 1}", status="became_case" if target else "handed_over",
                                        handed_over_to="" if target else "外区", became_case=target))
        Contact.objects.bulk_create(contact_rows, batch_size=2000)
    return district


def timed(fn, runs: int):
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - started) * 1000)
    return out, statistics.median(times)


def measure(actor, *, limit, runs: int) -> None:
    from lianfang.tracing import chains as layout
    from lianfang.tracing import selectors

    rows, t_read = timed(lambda: selectors.chain_rows(actor=actor), runs)
    found, t_chains = timed(lambda: selectors.chains_filtered(layout.build_chains(*rows), limit=limit), runs)
    _placed, t_layout = timed(lambda: layout.pack([layout.layout_chain(c) for c in found]), runs)
    figure, t_figure = timed(lambda: selectors.chain_figure(actor=actor, chains=found), runs)
    text, t_json = timed(lambda: json.dumps(figure, separators=(",", ":"), ensure_ascii=False), runs)

    def whole():
        return json.dumps(selectors.chain_figure(actor=actor, chains=selectors.chain_list(actor=actor, limit=limit)),
                          separators=(",", ":"), ensure_ascii=False)
    _, t_total = timed(whole, runs)
    nodes = sum(len(t.get("x", [])) for t in figure["data"] if t.get("mode") == "markers")
    print(f"{actor.username:15} limit={limit!s:5} chains={len(found):5} nodes={nodes:6}  read {t_read:6.0f} ms  chains {t_chains:5.0f} ms"
          f"  layout {t_layout:5.0f} ms  figure {t_figure:5.0f} ms (incl. layout)  json {t_json:5.0f} ms"
          f"  total {t_total:6.0f} ms  size {len(text.encode()) / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup(args)
    from django.db import connection

    from lianfang.core.models import User

    started = time.perf_counter()
    build(cases=args.cases, contacts=args.contacts)
    print(f"{connection.vendor}: {args.cases} cases, {args.contacts} contacts ready in {time.perf_counter() - started:.1f} s")
    for username in ("bench-district", "bench-street"):
        actor = User.objects.get(username=username)
        for limit in (200, None):
            measure(actor, limit=limit, runs=args.runs)


if __name__ == "__main__":
    main()
