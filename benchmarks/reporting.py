"""How fast daily reporting reads at district scale: the district's completeness matrix over 30
days, a street's pre-filled form of today, and issuing the numbered brief with its DOCX and PDF.

    python benchmarks/reporting.py --database-url postgres://postgres@127.0.0.1:55466/rpbench
    python benchmarks/reporting.py --data-dir /tmp/lf-reporting          # SQLite, the file kept
    python benchmarks/reporting.py ... --build-only                       # fill the database, time nothing

The database is filled once and reused by later runs (--fresh empties it first; with
--database-url: EVERY TABLE OF THAT DATABASE): a demo district of --residents people (16 streets
× 17 communities × 2 grids, from the demo generator), a reporting unit for every street and
community and 12 departments (300 units), the demo's two templates ("疫情防控日报" for streets and
communities, "部门日报" for departments), --days days of reports (≈90% on time, 4% late, 6%
missing, 10% of the communities' reports zero reports; today ≈60% in, bulk_create), the streets'
duty rosters of the last 30 days. Behind the form of the first street, the rows its figures count,
in the proportions of a district at the height of the epidemic: key persons (0.5% of residents,
over the 90 days; those of the last 14 days under active orders, a fever alert for 2%), one
screening round with 60% of the street's households visited over the last 14 days, and a
gate per community with a passage a household a day for the last 14 days.

Timings are warm: one untimed run, then the median and max of --runs runs; the queries of one
run are counted. Each brief issued is deleted afterwards and the counter set back, so reruns
number the same (their audit records stay).
"""

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening import setup_django, timed

STREETS, COMMUNITIES_PER_STREET, GRIDS_PER_COMMUNITY = 16, 17, 2      # 16 + 272 tree units + 12 departments = 300
DEPARTMENTS = [("finance", "区财政局"), ("commerce", "区商务局"), ("education", "区教育局"), ("justice", "区司法局"),
               ("finance", "区国资局"), ("commerce", "区市场监管局"), ("education", "区体育局"), ("justice", "区信访局"),
               ("finance", "区税务局"), ("commerce", "区招商局"), ("education", "区科技局"), ("justice", "区公安分局")]
MARK = "基准"    # names of what the benchmark adds
TARGETS = {"matrix": 300, "form": 300, "brief": 5000}


def units_and_templates(district, office):
    from lianfang.core.audit import COMMAND
    from lianfang.demo.reporting import (
        DAILY,
        DAILY_FIELDS,
        DAILY_RULES,
        DEPARTMENT,
        DEPARTMENT_FIELDS,
        DEPARTMENT_RULES,
    )
    from lianfang.reporting import services
    from lianfang.reporting.models import ReportingUnit, ReportTemplate

    services.reporting_units_sync(district=district)
    for kind, name in DEPARTMENTS:
        ReportingUnit.objects.get_or_create(district=district, name=name, defaults={"kind": kind, "org_path": district.path})
    if not ReportTemplate.objects.filter(district=district, name=DAILY).exists():
        services.report_template_save(actor=office, district=district, name=DAILY, unit_kinds=["street", "community"],
                                      deadline=dt.time(18), fields=DAILY_FIELDS, rules=DAILY_RULES, via=COMMAND)
        services.report_template_save(actor=office, district=district, name=DEPARTMENT, unit_kinds=sorted({k for k, _ in DEPARTMENTS}),
                                      deadline=dt.time(17), fields=DEPARTMENT_FIELDS, rules=DEPARTMENT_RULES, via=COMMAND)
    return ReportTemplate.objects.get(name=DAILY), ReportTemplate.objects.get(name=DEPARTMENT)


def reports_generate(*, daily, department, days: int, seed: int) -> int:
    from django.db import transaction
    from django.utils import timezone

    from lianfang.reporting.models import DailyReport, DutyEntry, ReportingUnit

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    units = list(ReportingUnit.objects.order_by("org_path", "name"))
    rows, n = [], 0
    with transaction.atomic():
        for back in range(days - 1, -1, -1):
            day = today - dt.timedelta(days=back)
            for unit in units:
                template = department if unit.org_id is None else daily
                roll = rng.random()
                if (day == today and roll < 0.4) or roll < 0.06:
                    continue
                deadline = template.deadline_for(day)
                late = day != today and roll < 0.10
                at = deadline + dt.timedelta(minutes=rng.randint(5, 300)) if late else deadline - dt.timedelta(minutes=rng.randint(10, 600))
                if at > now:
                    at = now - dt.timedelta(minutes=rng.randint(1, 60))
                zero = unit.kind == "community" and rng.random() < 0.10
                if zero:
                    values = {}
                elif template is daily:
                    scope = rng.randint(800, 2500)
                    values = {"new_key_persons": rng.randint(0, 3), "in_quarantine": rng.randint(0, 30), "fever_alerts": rng.randint(0, 1),
                              "passages": rng.randint(200, 3000), "turned_back": rng.randint(0, 20),
                              "households_visited": rng.randint(0, 200), "visited": rng.randint(0, scope), "in_scope": scope,
                              "key_work": "卡点24小时值守，重点人员“2包1”管控到位。" if rng.random() < 0.5 else ""}
                    values = {k: v for k, v in values.items() if v != ""}
                else:
                    found = rng.randint(0, 6)
                    values = {"places_checked": rng.randint(5, 40), "problems_found": found, "problems_fixed": rng.randint(0, found),
                              "anything_unusual": False, "news": "督导检查超市、宾馆、物流企业，落实测温扫码消杀。"}
                rows.append(DailyReport(template=template, unit=unit, org_path=unit.org_path, day=day, values=values, is_zero=zero,
                                        prefilled={}, submitted_at=at, is_late=at > deadline))
            if len(rows) >= 5000:
                DailyReport.objects.bulk_create(rows)
                n += len(rows)
                rows.clear()
        DailyReport.objects.bulk_create(rows)
        n += len(rows)
        duty = [DutyEntry(unit=u, org_path=u.org_path, day=today - dt.timedelta(days=back), role=role, name=f"值班员{u.pk}{k}",
                          phone=f"139{rng.randrange(10**8):08d}")
                for u in units if u.kind == "street" for back in range(30) for k, role in enumerate(["leader", "officer", "officer"])]
        DutyEntry.objects.bulk_create(duty)
    return n


def sources_generate(*, district, street, office, seed: int) -> dict:
    """The rows behind the street's figures (see the module's docstring)."""
    from django.db import transaction
    from django.utils import timezone

    from lianfang.checkpoints.models import Checkpoint, Passage
    from lianfang.core import clock
    from lianfang.core.models import Level, OrgUnit
    from lianfang.core.scoping import subtree_q
    from lianfang.quarantine.models import Alert, KeyPerson, QuarantineOrder
    from lianfang.registry.models import Household, Resident
    from lianfang.screening.models import ScreeningRound, ScreeningVisit

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    counts = {}

    def moment(day: dt.date) -> dt.datetime:
        at = clock.local(day, dt.time(6)) + dt.timedelta(seconds=rng.randrange(16 * 3600))
        return min(at, now - dt.timedelta(seconds=rng.randrange(60, 3600))) if day == today else at

    with transaction.atomic():
        residents = list(Resident.objects.filter(district=district).values_list("pk", "org_path"))
        chosen = rng.sample(residents, len(residents) // 200)
        people, orders, alerts = [], [], []
        for i, (pk, path) in enumerate(chosen):
            day = today - dt.timedelta(days=rng.randrange(90))
            people.append(KeyPerson(district=district, resident_id=pk, org_path=path, category="close_contact", source="screening",
                                    source_ref=MARK, status="active" if (today - day).days < 14 else "released",
                                    flagged_at=moment(day), created_at=moment(day)))
        KeyPerson.objects.bulk_create(people, batch_size=2000)
        for person in people:
            start = timezone.localdate(person.created_at)
            active = person.status == "active"
            orders.append(QuarantineOrder(district=district, key_person=person, resident_id=person.resident_id, org_path=person.org_path,
                                          kind="home_quarantine", start_date=start, days=14, end_date=start + dt.timedelta(days=13),
                                          checks_from=person.created_at, status="active" if active else "released",
                                          ended_at=None if active else clock.local(start + dt.timedelta(days=14), dt.time(10))))
            if rng.random() < 0.02:
                alerts.append(Alert(key=f"{MARK}:{person.pk}", district=district, org_path=person.org_path, key_person=person, kind="fever",
                                    raised_at=person.created_at + dt.timedelta(days=rng.randint(0, 5))))
        QuarantineOrder.objects.bulk_create(orders, batch_size=2000)
        Alert.objects.bulk_create(alerts, batch_size=2000)
        counts.update(key_persons=len(people), alerts=len(alerts))

        households = list(Household.objects.filter(subtree_q("org_path", street.path)).values_list("pk", "org_path", "grid_id"))
        screening_round = ScreeningRound.objects.create(district=district, scope=district, scope_path=district.path, name=f"{MARK}摸排",
                                                        starts_on=today - dt.timedelta(days=13), ends_on=today)
        visits = [ScreeningVisit(uid=uuid.uuid4(), round=screening_round, district=district, household_id=pk, grid_id=grid,
                                 org_path=path, result="all_present", visited_at=moment(today - dt.timedelta(days=rng.randrange(14))),
                                 visitor_name="网格员") for pk, path, grid in households if rng.random() < 0.6]
        ScreeningVisit.objects.bulk_create(visits, batch_size=5000)
        counts["visits"] = len(visits)

        gates = [Checkpoint.objects.create(district=district, org=c, org_path=c.path, name=f"{MARK}{c.name}卡点")
                 for c in OrgUnit.objects.filter(parent=street, level=Level.COMMUNITY)]
        by_path = {g.org_path: g for g in gates}
        width = len(gates[0].org_path)
        passages = 0
        for back in range(14):
            day = today - dt.timedelta(days=back)
            rows = []
            for _pk, path, _grid in households:
                gate = by_path[path[:width]]
                rows.append(Passage(uid=uuid.uuid4(), district=district, checkpoint=gate, org_path=gate.org_path, at=moment(day),
                                    direction=rng.choice(("in", "out")), subject="resident",
                                    **({"outcome": "turned_back", "turn_back_reason": "非本小区人员"} if rng.random() < 0.01 else {})))
            Passage.objects.bulk_create(rows, batch_size=5000)
            passages += len(rows)
        counts["passages"] = passages
    return counts


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def build(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    from lianfang.core.models import Level, OrgUnit, User
    from lianfang.demo import generator

    call_command("migrate", interactive=False, verbosity=0)
    if args.fresh and connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    from lianfang.reporting.models import DailyReport

    if DailyReport.objects.exists():
        print(f"Reusing the database: {DailyReport.objects.count():,} reports")
        return
    started = time.monotonic()
    if not OrgUnit.objects.exists():
        generator.generate_district(residents=args.residents, seed=args.seed, streets=STREETS, communities_per_street=COMMUNITIES_PER_STREET,
                                    grids_per_community=GRIDS_PER_COMMUNITY, stdout=sys.stdout)
    users = generator.demo_users_ensure()
    office = next(u for u in users if u.username == "district")
    street = next(u for u in users if u.username == "street").jurisdiction
    district = office.jurisdiction
    t0 = time.monotonic()
    daily, department = units_and_templates(district, office)
    n = reports_generate(daily=daily, department=department, days=args.days, seed=args.seed)
    print(f"{n:,} reports of {args.days} days in {time.monotonic() - t0:.1f} s", flush=True)
    t0 = time.monotonic()
    counts = sources_generate(district=district, street=street, office=office, seed=args.seed)
    print(f"sources: {counts} in {time.monotonic() - t0:.1f} s", flush=True)
    analyze()
    print(f"built in {time.monotonic() - started:.1f} s ({User.objects.count()} users, "
          f"{OrgUnit.objects.filter(level=Level.STREET).count()} streets)", flush=True)


def measure(args) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lianfang.core.audit import COMMAND
    from lianfang.core.models import User
    from lianfang.demo.reporting import DAILY, DEPARTMENT
    from lianfang.registry.models import Household, Resident
    from lianfang.reporting import selectors, services
    from lianfang.reporting.models import (
        Brief,
        BriefCounter,
        DailyReport,
        ReportingUnit,
        ReportTemplate,
    )

    try:
        from lianfang.reporting import brief_docs
    except ImportError:
        brief_docs = None
    office, officer = User.objects.get(username="district"), User.objects.get(username="street")
    district, street = office.jurisdiction, officer.jurisdiction
    daily, department = ReportTemplate.objects.get(name=DAILY), ReportTemplate.objects.get(name=DEPARTMENT)
    unit = ReportingUnit.objects.get(org=street)
    today = timezone.localdate()
    print(f"\n{connection.vendor}: {Resident.objects.count():,} residents, {Household.objects.count():,} households; "
          f"street {street.name}: {Resident.objects.filter(org_path__startswith=street.path).count():,} residents; "
          f"{ReportingUnit.objects.count()} units, {DailyReport.objects.count():,} reports")
    counter = BriefCounter.objects.filter(district=district).first()
    last_number = counter.last_number if counter else 0
    issued = []

    def matrix():
        m = selectors.completeness_matrix(actor=office, template=daily, since=today - dt.timedelta(days=29), until=today)
        return m.reporting_rate, m.on_time_rate, len(m.rows)

    def matrix_departments():
        return len(selectors.completeness_matrix(actor=office, template=department, since=today - dt.timedelta(days=29), until=today).rows)

    def form():
        f = selectors.report_form(actor=officer, template=daily, unit=unit, day=today)
        return [x.prefilled for x in f.fields]

    stages = {"brief_issue": [], "brief_docx": [], "brief_pdf": []}

    def brief():
        t = time.perf_counter()
        b = services.brief_issue(actor=office, district=district, day=today - dt.timedelta(days=1), title="疫情防控工作日报",
                                 send_to="区委、区政府主要领导", copy_to="各街道，区直各部门", editors="编辑：王晓明", via=COMMAND)
        issued.append(b.pk)
        stages["brief_issue"].append((time.perf_counter() - t) * 1000)
        if brief_docs is not None:
            t = time.perf_counter()
            brief_docs.brief_docx(b)
            stages["brief_docx"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            brief_docs.brief_pdf(b)
            stages["brief_pdf"].append((time.perf_counter() - t) * 1000)

    results = []
    try:
        for name, function, target in (("completeness_matrix, district, 30 days (疫情防控日报, 288 units)", matrix, "matrix"),
                                       ("completeness_matrix, district, 30 days (部门日报, 12 units)", matrix_departments, None),
                                       ("report_form, street, today (6 figures pre-filled)", form, "form"),
                                       ("brief_issue" + (" + brief_docx + brief_pdf" if brief_docs else " (brief_docs missing)"), brief, "brief")):
            samples = timed(function, args.runs)
            with CaptureQueriesContext(connection) as queries:
                function()
            results.append((name, samples, len(queries), TARGETS.get(target)))
            if args.queries:
                slow = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]
                print(f"   {name}: slowest queries " + "; ".join(f"{float(q['time']) * 1000:.0f} ms {q['sql'][:150]}" for q in slow))
            if function is form:
                print("   prefilled:", form())
    finally:
        Brief.objects.filter(pk__in=issued).delete()
        BriefCounter.objects.filter(district=district).update(last_number=last_number)
    print(f"\n{'operation':<72} {'median':>9} {'max':>9} {'queries':>8} {'target':>8}")
    for name, samples, queries, target in results:
        print(f"{name:<72} {statistics.median(samples):>7.1f}ms {max(samples):>7.1f}ms {queries:>8} "
              f"{(f'<{target}' if target else ''):>8}")
    for stage, samples in stages.items():
        samples = samples[1:-1]    # not the warm-up's, nor the counted run's
        if samples:
            print(f"   {stage:<69} {statistics.median(samples):>7.1f}ms {max(samples):>7.1f}ms")
    with open("/proc/loadavg") as f:
        print(f"load average: {' '.join(f.read().split()[:3])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (filled once, reused); default a SQLite file")
    parser.add_argument("--data-dir", help="where the SQLite file is kept (default a temporary folder)")
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=20200124)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="empty the database and generate everything again")
    parser.add_argument("--queries", action="store_true", help="print the slowest queries of each operation")
    parser.add_argument("--build-only", action="store_true", help="fill the database and stop")
    args = parser.parse_args()
    setup_django(args)
    build(args)
    if not args.build_only:
        measure(args)


if __name__ == "__main__":
    main()
