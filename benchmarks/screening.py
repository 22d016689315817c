"""How fast a screening round (摸排) reads at district scale: coverage for the district and a
street, a grid worker's work list, a street's unvisited list and work log, the district's
key-person candidates, and the 摸排台账 export of the largest street (time and memory).

    python benchmarks/screening.py --database-url postgres://postgres@127.0.0.1:55444/lfbench
    python benchmarks/screening.py --residents 100000                    # a temporary SQLite file
    python benchmarks/screening.py --residents 1000000 --data-dir /tmp/lf-screen   # keep the SQLite file

The database is filled once and reused by later runs: a demo district of --residents people
(16 streets × 5 communities × 6 grids, ≈2.86 residents a household) from the demo generator,
then one open district-wide round in which --visited of the households have a latest visit
(mostly "all present", ≈5% nobody home with a revisit due, ≈1% refused, some moved out or
vacant, ≈3% with an earlier nobody-home visit kept as history) over the last 7 days, and a
person check for each resident of a household where someone was spoken to (≈0.5% flagged as
key-person candidates). Visits and checks are written as plain rows (COPY on PostgreSQL);
--fresh empties the database first (with --database-url: EVERY TABLE OF THAT DATABASE).

Warm timings: one untimed run, then the median of --runs runs. The export runs in a child
process (its own peak memory): the largest street timed with RSS sampled every 5,000 rows, its
largest community for comparison, that community again under tracemalloc (the street too with
--tracemalloc), and the street's rows without the writer, to show where the time goes. Then
--service-visits visits go through the real service (screening_visit_record) as the grid worker
records them, and are deleted afterwards. On SQLite the RSS includes SQLite's own page cache
(cache_size, up to 64 MB).
Plans (EXPLAIN ANALYZE) are printed for every operation that misses its target, or for all
of them with --explain.
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUND_NAME = "基准摸排（第一轮）"
# 16 streets of ~62,500 people: the brief times the ledger of a 60,000-person street.
STREETS, COMMUNITIES_PER_STREET, GRIDS_PER_COMMUNITY = 16, 5, 6
# The demo generator's household sizes give 2.5 persons a household; the district has
# 1,000,000 residents in 350,000 households.
HOUSEHOLD_SIZE_WEIGHTS = (18, 25, 27, 17, 9, 4)  # 1..6 persons: 2.86 on average
RESULT_WEIGHTS = {"all_present": 84, "some_away": 5, "nobody_home": 5, "refused": 1, "moved_out": 3, "vacant": 2}
METHOD_WEIGHTS = {"door": 80, "phone": 15, "wechat": 5}
CANDIDATE_SHARE = 0.005
FLUSH_EVERY = 20_000
# Targets of the issue, in ms.
TARGETS = {"coverage": 500, "work_list": 50, "export": 20_000}


def rss_mb() -> float:
    """The current resident set (Linux), else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """The peak resident set of this program (Linux: VmHWM; ru_maxrss of a child started by
    a big parent also counts the parent's memory at the fork)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, runs: int) -> list[float]:
    function()  # warm the caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def setup_django(args) -> Path:
    """Point the settings at the database (they read the environment once, at django.setup())."""
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="lianfang-bench-")).resolve()
    os.environ["LIANFANG_DATA"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        if args.fresh:
            for suffix in ("", "-wal", "-shm"):
                (data_dir / f"lianfang.sqlite3{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    return data_dir


# -- the data -------------------------------------------------------------------------------


def district_generate(*, residents: int, seed: int) -> None:
    from lianfang.demo import generator

    generator.HOUSEHOLD_SIZE_WEIGHTS = HOUSEHOLD_SIZE_WEIGHTS  # read at call time; this process only
    generator.generate_district(residents=residents, seed=seed, streets=STREETS, communities_per_street=COMMUNITIES_PER_STREET,
                                grids_per_community=GRIDS_PER_COMMUNITY, stdout=sys.stdout)


def screening_generate(*, screening_round, visited: float, history: float, seed: int) -> None:
    """The round's visits and person checks as plain rows, in one transaction."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from lianfang.core.bulk import PlainRows
    from lianfang.core.models import Duty, ResponsiblePerson
    from lianfang.core.scoping import subtree_q
    from lianfang.registry.models import Household, Resident
    from lianfang.screening.models import NOBODY_RESULTS, PersonCheck, ScreeningVisit

    started = time.monotonic()
    rng = random.Random(seed)
    native_uuid = connection.features.has_native_uuid_field
    sqlite = connection.vendor == "sqlite"

    def uid():
        value = uuid.UUID(int=rng.getrandbits(128), version=4)
        return value if native_uuid else value.hex

    def stamp(value: dt.datetime):
        return connection.ops.adapt_datetimefield_value(value) if sqlite else value

    def js(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    def pick(weights: dict) -> str:
        return rng.choices(list(weights), list(weights.values()))[0]

    visits = PlainRows(ScreeningVisit, ("id", "uid", "round_id", "district_id", "household_id", "grid_id", "org_path", "method",
                                        "result", "visited_at", "revisit_due", "visitor_name", "is_latest"))
    checks = PlainRows(PersonCheck, ("id", "uid", "visit_id", "round_id", "resident_id", "org_path", "current", "presence",
                                     "whereabouts", "travel", "case_contact", "temperature", "symptoms", "is_candidate",
                                     "candidate_reasons", "candidate_status", "suggested_category"))
    visit_rows: list[tuple] = []
    check_rows: list[tuple] = []
    next_visit = (ScreeningVisit.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    next_check = (PersonCheck.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    r = screening_round
    now = timezone.now()
    grid_workers = dict(ResponsiblePerson.objects.filter(duty=Duty.GRID_WORKER).values_list("org_unit_id", "name"))
    households = list(Household.objects.filter(subtree_q("org_path", r.scope_path)).order_by("pk")
                      .values_list("pk", "org_path", "grid_id", "district_id"))
    counts = {"visits": 0, "history": 0, "checks": 0, "candidates": 0}

    def candidate(visit_date: dt.date) -> dict:
        """A check the round's criteria flag: a recent stay in Hubei, fever, or a case contact."""
        kind = rng.random()
        if kind < 0.6:
            back = visit_date - dt.timedelta(days=rng.randint(1, 12))
            place = rng.choice(("湖北武汉", "湖北孝感", "湖北黄冈"))
            start = back - dt.timedelta(days=rng.randint(2, 9))
            trip = {"place": place, "from": start.isoformat(), "to": back.isoformat(), "transit": rng.random() < 0.15}
            return {"travel": [trip], "reasons": [{"code": "risk_area", **trip}],
                    "category": "risk_area_transit" if trip["transit"] else "risk_area_returnee"}
        if kind < 0.85:
            temperature = f"{rng.uniform(37.3, 39.2):.1f}"
            symptoms = ["fever"] + (["cough"] if rng.random() < 0.5 else [])
            return {"temperature": temperature, "symptoms": symptoms, "category": "fever_patient",
                    "reasons": [{"code": "symptoms", "temperature": temperature, "symptoms": symptoms}]}
        contact = rng.choice(("suspected", "confirmed"))
        return {"contact": contact, "reasons": [{"code": "case_contact", "contact": contact}], "category": "close_contact"}

    def flush() -> None:
        visits.insert(visit_rows)  # parents first, although the keys are checked at commit
        checks.insert(check_rows)
        counts["checks"] += len(check_rows)
        visit_rows.clear()
        check_rows.clear()

    block = 5000
    with transaction.atomic():
        for first in range(0, len(households), block):
            spoken: dict[int, tuple] = {}  # household id -> (visit id, org_path, result, visit date)
            for pk, org_path, grid_id, district_id in households[first:first + block]:
                if rng.random() >= visited:
                    continue
                result = pick(RESULT_WEIGHTS)
                visited_at = now - dt.timedelta(seconds=rng.randrange(7 * 86400))
                visit_date = timezone.localdate(visited_at)
                visitor = grid_workers.get(grid_id, "网格员") if rng.random() < 0.8 else f"志愿者{rng.randrange(1, 40)}号"
                if history and result != "nobody_home" and rng.random() < history:
                    earlier = visited_at - dt.timedelta(days=1)
                    visit_rows.append((next_visit, uid(), r.pk, district_id, pk, grid_id, org_path, "door", "nobody_home",
                                       stamp(earlier), timezone.localdate(earlier) + dt.timedelta(days=1), visitor, False))
                    next_visit += 1
                    counts["history"] += 1
                due = visit_date + dt.timedelta(days=1) if result == "nobody_home" else None
                visit_rows.append((next_visit, uid(), r.pk, district_id, pk, grid_id, org_path, pick(METHOD_WEIGHTS), result,
                                   stamp(visited_at), due, visitor, True))
                if result not in NOBODY_RESULTS:
                    spoken[pk] = (next_visit, org_path, result, visit_date)
                next_visit += 1
                counts["visits"] += 1
            members: dict[int, list[int]] = {}
            for resident_id, household_id in (Resident.objects.filter(household_id__in=list(spoken)).order_by("household_id", "pk")
                                              .values_list("pk", "household_id")):
                members.setdefault(household_id, []).append(resident_id)
            for household_id, people in members.items():
                visit_id, org_path, result, visit_date = spoken[household_id]
                away = set()
                if result == "some_away":
                    away = {p for p in people[1:] if rng.random() < 0.4} or {people[-1]}
                for resident_id in people:
                    presence, whereabouts = "present", ""
                    if resident_id in away:
                        presence = rng.choice(("away_in_city", "away_outside"))
                        cities = ("北京", "西安", "成都", "上海")
                        whereabouts = "市内亲戚家" if presence == "away_in_city" else rng.choice(cities)
                    found = candidate(visit_date) if rng.random() < CANDIDATE_SHARE else None
                    temperature = (found or {}).get("temperature") or (f"{rng.uniform(36.0, 37.1):.1f}" if rng.random() < 0.3 else None)
                    check_rows.append((
                        next_check, uid(), visit_id, r.pk, resident_id, org_path, True, presence, whereabouts,
                        js((found or {}).get("travel", [])), (found or {}).get("contact", "none"), temperature,
                        js((found or {}).get("symptoms", [])), found is not None, js(found["reasons"] if found else []),
                        "pending" if found else "", found["category"] if found else "",
                    ))
                    next_check += 1
                    counts["candidates"] += found is not None
            if len(visit_rows) + len(check_rows) >= FLUSH_EVERY:
                flush()
        flush()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the keys were given explicitly
                for sql in connection.ops.sequence_reset_sql(no_style(), [ScreeningVisit, PersonCheck]):
                    cursor.execute(sql)
    analyze([ScreeningVisit, PersonCheck])
    elapsed = time.monotonic() - started
    print(f"screening data: {counts['visits']:,} latest visits (+{counts['history']:,} earlier), {counts['checks']:,} person checks, "
          f"{counts['candidates']:,} candidates in {elapsed:.1f} s")


def analyze(models) -> None:
    """Fresh statistics; on PostgreSQL VACUUM also sets the visibility map (index-only scans)."""
    from django.db import connection

    command = "VACUUM (ANALYZE)" if connection.vendor == "postgresql" and not connection.in_atomic_block else "ANALYZE"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def bench_user(username: str, role: str, jurisdiction):
    from lianfang.core.models import User

    user, _ = User.objects.update_or_create(username=username, defaults={"role": role, "jurisdiction": jurisdiction,
                                                                         "display_name": username})
    return user


# -- the export (child process) -----------------------------------------------------------


def export_child(args) -> None:
    """Write the node's ledger as its street officer would; print one JSON line."""
    setup_django(args)
    import tracemalloc

    from lianfang.core.excel import write_xlsx
    from lianfang.core.models import OrgUnit, User
    from lianfang.core.roles import Role
    from lianfang.screening import selectors
    from lianfang.screening.exports import LEDGER_COLUMNS
    from lianfang.screening.models import ScreeningRound

    node = OrgUnit.objects.get(pk=args.export_child)
    screening_round = ScreeningRound.objects.get(name=ROUND_NAME)
    officer = User(username="bench-export", role=Role.STREET_OFFICER, jurisdiction=node)  # unsaved: selectors read role and jurisdiction
    samples: list[tuple[int, float]] = []
    first_row: list[float] = []

    def sampled(rows):
        for i, row in enumerate(rows, start=1):
            if i == 1:
                first_row.append(time.perf_counter())
            if i % 5000 == 0:
                samples.append((i, rss_mb()))
            yield row

    target = Path(os.environ["LIANFANG_DATA"]) / f"ledger-{node.pk}.xlsx"
    before = rss_mb()
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    rows = selectors.ledger_rows(actor=officer, screening_round=screening_round).iterator(chunk_size=2000)
    if args.fetch_only:  # where the time goes: the query and the rows alone, then with the cells' values
        n = sum(1 for _ in sampled(rows))
        fetched = time.perf_counter() - started
        rows = selectors.ledger_rows(actor=officer, screening_round=screening_round).iterator(chunk_size=2000)
        started = time.perf_counter()
        for row in rows:
            for column in LEDGER_COLUMNS:
                column.value(row)
        print(json.dumps({"rows": n, "fetch": fetched, "values": time.perf_counter() - started}))
        return
    n = write_xlsx(target=str(target), sheet_name="摸排台账", columns=LEDGER_COLUMNS, rows=sampled(rows),
                   title=f"{node.name}摸排台账")
    seconds = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    size = target.stat().st_size
    target.unlink()
    print(json.dumps({"rows": n, "seconds": seconds, "first_row": (first_row[0] - started) if first_row else None,
                      "rss_before": before, "rss_peak": peak_rss_mb(), "samples": samples, "traced_peak": traced, "bytes": size}))


def export_run(args, data_dir: Path, node, *, trace: bool = False, fetch_only: bool = False) -> dict:
    command = [sys.executable, __file__, "--export-child", str(node.pk), "--data-dir", str(data_dir)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    if trace:
        command.append("--tracemalloc")
    if fetch_only:
        command.append("--fetch-only")
    child = subprocess.run(command, capture_output=True, text=True)
    if child.returncode:
        sys.exit(f"export child failed:\n{child.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


# -- the service ----------------------------------------------------------------------------


def service_timing(*, screening_round, grid_user, office_user, n: int, seed: int) -> list[float]:
    """n visits through screening_visit_record (≈10% revisits of nobody-home households), as a
    grid worker records them; deleted again afterwards so that reruns see the same round."""
    from django.db.models import Exists, OuterRef

    from lianfang.core.audit import COMMAND
    from lianfang.core.scoping import subtree_q
    from lianfang.registry.models import Household
    from lianfang.screening.models import PersonCheck, Presence, Result, ScreeningVisit
    from lianfang.screening.services import CheckIn, screening_visit_record

    rng = random.Random(seed + 1)
    r = screening_round
    grid_path = grid_user.jurisdiction.path
    visited = ScreeningVisit.objects.filter(round=r, household=OuterRef("pk"))
    fresh = list(Household.objects.filter(subtree_q("org_path", grid_path)).filter(~Exists(visited))
                 .prefetch_related("residents").order_by("pk")[: n - n // 10])
    due = list(ScreeningVisit.objects.filter(round=r, is_latest=True, result=Result.NOBODY_HOME).filter(subtree_q("org_path", grid_path))
               .select_related("household").order_by("pk")[: n - len(fresh)])
    previous = [v.pk for v in due]
    work = [(grid_user, h) for h in fresh] + [(grid_user, v.household) for v in due]
    if len(work) < n:  # a small district: take households from elsewhere, recorded by the office
        more = (Household.objects.filter(subtree_q("org_path", r.scope_path)).exclude(subtree_q("org_path", grid_path))
                .filter(~Exists(visited)).order_by("pk")[: n - len(work)])
        work += [(office_user, h) for h in more]
    samples, uids = [], []
    try:
        for actor, household in work:
            members = list(household.residents.all())  # what the form shows: fetched before the submission
            result, checks = Result.ALL_PRESENT, []
            roll = rng.random()
            if roll < 0.06:
                result = Result.NOBODY_HOME
            elif roll < 0.12 and len(members) > 1:
                result, checks = Result.SOME_AWAY, [CheckIn(resident=members[-1], presence=Presence.AWAY_OUTSIDE, whereabouts="北京")]
            elif roll < 0.16 and members:
                back = dt.date.today() - dt.timedelta(days=3)
                checks = [CheckIn(resident=members[0], temperature="36.8",
                                  travel=[{"place": "湖北武汉", "from": back - dt.timedelta(days=4), "to": back}])]
            uid = uuid.uuid4()
            uids.append(uid)
            started = time.perf_counter()
            screening_visit_record(actor=actor, screening_round=r, household=household, uid=uid, method="door", result=result,
                                   checks=checks, via=COMMAND)
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        ScreeningVisit.objects.filter(uid__in=uids).delete()
        ScreeningVisit.objects.filter(pk__in=previous).update(is_latest=True)
        PersonCheck.objects.filter(visit_id__in=previous).update(current=True)
    return samples


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (filled once, reused; emptied with --fresh)")
    parser.add_argument("--data-dir", help="keep the data folder (and the SQLite file) here instead of a temporary one")
    parser.add_argument("--residents", type=int, default=1_000_000, help="district size when the database is empty")
    parser.add_argument("--visited", type=float, default=0.6, help="share of households with a visit")
    parser.add_argument("--history", type=float, default=0.03, help="share of visited households with an earlier nobody-home visit")
    parser.add_argument("--seed", type=int, default=20200124)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--service-visits", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="empty the database and generate everything again")
    parser.add_argument("--no-export", action="store_true", help="skip the ledger export")
    parser.add_argument("--explain", action="store_true", help="print the plans of every operation, not only of misses")
    parser.add_argument("--export-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help="trace the Python heap of the street's export too (slow)")
    parser.add_argument("--fetch-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args)
        return

    data_dir = setup_django(args)
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lianfang.core.audit import COMMAND
    from lianfang.core.models import Level, OrgUnit
    from lianfang.core.roles import Role
    from lianfang.core.scoping import subtree_q
    from lianfang.registry.models import Household, Resident
    from lianfang.screening import selectors
    from lianfang.screening.models import PersonCheck, ScreeningRound, ScreeningVisit
    from lianfang.screening.services import screening_round_open

    try:
        call_command("migrate", interactive=False, verbosity=0)
        if args.fresh and connection.vendor != "sqlite":
            call_command("flush", interactive=False, verbosity=0)
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        if not OrgUnit.objects.filter(level=Level.DISTRICT).exists():
            district_generate(residents=args.residents, seed=args.seed)
        district = OrgUnit.objects.filter(level=Level.DISTRICT).order_by("pk").first()
        office = bench_user("bench-district", Role.DISTRICT_OFFICE, district)
        screening_round = ScreeningRound.objects.filter(name=ROUND_NAME).first()
        if screening_round is None:
            today = timezone.localdate()
            screening_round = screening_round_open(
                actor=office, scope=district, via=COMMAND, name=ROUND_NAME, number=1, starts_on=today - dt.timedelta(days=8),
                ends_on=today + dt.timedelta(days=7), risk_areas=["湖北"], lookback_days=14, flag_risk_area=True,
                flag_case_contact=True, flag_out_of_city=False, flag_symptoms=True, criteria_notes="")
            screening_generate(screening_round=screening_round, visited=args.visited, history=args.history, seed=args.seed)
        r = screening_round

        # The worst cases: the street with the most residents, its biggest community, the grid with the most households.
        streets = list(OrgUnit.objects.filter(level=Level.STREET, parent=district))
        sizes = {s: Resident.objects.filter(subtree_q("org_path", s.path)).count() for s in streets}
        street = max(sizes, key=sizes.get)
        communities = {c: Resident.objects.filter(subtree_q("org_path", c.path)).count()
                       for c in OrgUnit.objects.filter(parent=street, level=Level.COMMUNITY)}
        community = max(communities, key=communities.get)
        grid_id = (Household.objects.filter(subtree_q("org_path", street.path)).values("grid_id").annotate(n=Count("pk"))
                   .order_by("-n", "grid_id")[0]["grid_id"])
        grid = OrgUnit.objects.get(pk=grid_id)
        officer = bench_user("bench-street", Role.STREET_OFFICER, street)
        worker = bench_user("bench-grid", Role.GRID_WORKER, grid)

        households = Household.objects.filter(subtree_q("org_path", district.path)).count()
        residents = sum(sizes.values())
        latest = ScreeningVisit.objects.filter(round=r, is_latest=True)
        print(f"district: {households:,} households, {residents:,} residents ({residents / max(households, 1):.2f} a household), "
              f"{len(streets)} streets, {OrgUnit.objects.filter(level=Level.GRID).count()} grids")
        print(f"round:    {latest.count():,} households visited ({100 * latest.count() / max(households, 1):.0f}%), "
              f"{ScreeningVisit.objects.filter(round=r).count():,} visits, "
              f"{PersonCheck.objects.filter(round=r, current=True).count():,} current person checks, "
              f"{PersonCheck.objects.filter(round=r, current=True, is_candidate=True).count():,} candidates")
        print(f"street:   {street.name}, {sizes[street]:,} residents; community {community.name}, {communities[community]:,}; "
              f"grid {grid.name}, {Household.objects.filter(grid=grid).count():,} households")

        operations = {
            "coverage: district (totals + streets)": ("coverage", lambda: selectors.coverage(actor=office, screening_round=r)),
            "coverage: street (totals + communities)": (
                "coverage", lambda: selectors.coverage(actor=office, screening_round=r, org=street)),
            "work_list: grid worker, first page of 50": (
                "work_list", lambda: list(selectors.work_list(actor=worker, screening_round=r)[:50])),
            "work_list: grid worker, count": ("work_list", lambda: selectors.work_list(actor=worker, screening_round=r).count()),
            "unvisited_list: street, first page of 50": (
                None, lambda: list(selectors.unvisited_list(actor=officer, screening_round=r)[:50])),
            "unvisited_list: street, count": (None, lambda: selectors.unvisited_list(actor=officer, screening_round=r).count()),
            "work_log: street, by grid and day": (
                None, lambda: selectors.work_log(actor=officer, screening_round=r, level=Level.GRID)),
            "candidate_list: district, first page of 50": (
                None, lambda: [(c.resident.name, c.visit.household.address) for c in
                               selectors.candidate_list(actor=office, screening_round=r)[:50]]),
            "candidate_list: district, count": (None, lambda: selectors.candidate_list(actor=office, screening_round=r).count()),
        }
        print(f"\nwarm, median of {args.runs} (min–max), ms:")
        results = {}
        for label, (target_key, function) in operations.items():
            samples = timed(function, args.runs)
            with CaptureQueriesContext(connection) as queries:  # warm: what every later call runs
                function()
            median = statistics.median(samples)
            target = TARGETS.get(target_key)
            verdict = "" if target is None else ("ok" if median < target else "MISSED")
            results[label] = (median, target, queries.captured_queries)
            print(f"  {label:<44}{median:9.1f}   ({min(samples):.1f}–{max(samples):.1f}) "
                  f"{len(queries.captured_queries)} queries"
                  + (f"   target < {target} ms: {verdict}" if target else ""))
        page = results["work_list: grid worker, first page of 50"][0] + results["work_list: grid worker, count"][0]
        print(f"  {'work_list: page + count':<44}{page:9.1f}   target < {TARGETS['work_list']} ms: "
              f"{'ok' if page < TARGETS['work_list'] else 'MISSED'}")

        if not args.no_export:
            print("\nledger export (write_xlsx of ledger_rows(...).iterator(chunk_size=2000), child process):")
            runs = [(street, sizes[street], False), (community, communities[community], False), (community, communities[community], True)]
            if args.tracemalloc:
                runs.append((street, sizes[street], True))
            for node, people, trace in runs:
                e = export_run(args, data_dir, node, trace=trace)
                curve = e["samples"]
                mid = [mb for i, mb in curve if i >= 10_000] or [mb for _, mb in curve]
                line = (f"  {node.name} ({people:,} persons): {e['rows']:,} rows in {e['seconds']:.1f} s "
                        f"({e['rows'] / e['seconds']:,.0f} rows/s, first row after {e['first_row']:.2f} s), "
                        f"{e['bytes'] / 2**20:.1f} MiB; RSS {e['rss_before']:.0f} MB before, peak {e['rss_peak']:.0f} MB "
                        f"(+{e['rss_peak'] - e['rss_before']:.0f} MB)")
                if mid:
                    line += f", {min(mid):.0f}–{max(mid):.0f} MB from row 10,000 to the end"
                if trace:
                    line = f"  tracemalloc, {node.name}: Python heap peak {e['traced_peak']:.1f} MB ({e['seconds']:.1f} s traced)"
                elif node == street:
                    verdict = "ok" if e["seconds"] * 1000 < TARGETS["export"] else "MISSED"
                    line += f"   target < {TARGETS['export'] // 1000} s: {verdict}"
                    if e["seconds"] * 1000 >= TARGETS["export"]:
                        results["ledger_rows: street"] = (e["seconds"] * 1000, TARGETS["export"], None)
                print(line)
                if curve and not trace and node == street:
                    step = max(1, len(curve) // 8)
                    print("    RSS by row: " + ", ".join(f"{i // 1000}k {mb:.0f} MB" for i, mb in curve[::step]))
            split = export_run(args, data_dir, street, fetch_only=True)
            print(f"  where the time goes, {street.name}: query and rows alone {split['fetch']:.1f} s, again with the "
                  f"cells' values (LEDGER_COLUMNS) {split['values']:.1f} s; the rest of the export is the xlsx writer")

        if args.service_visits:
            samples = service_timing(screening_round=r, grid_user=worker, office_user=office, n=args.service_visits, seed=args.seed)
            q = statistics.quantiles(samples, n=20)
            print(f"\nscreening_visit_record: {len(samples)} visits, p50 {statistics.median(samples):.1f} ms, "
                  f"p95 {q[18]:.1f} ms, max {max(samples):.1f} ms (recorded, then deleted)")

        explain = "EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
        for label, (median, target, captured) in results.items():
            if not args.explain and (target is None or median < target):
                continue
            if captured is None:  # the export: the one ledger query, with its parameters
                statements = [selectors.ledger_rows(actor=officer, screening_round=r).query.sql_with_params()]
            else:
                statements = [(query["sql"], None) for query in captured]
            print(f"\n== {label}: {median:.1f} ms" + (f" (target {target} ms)" if target else ""))
            with connection.cursor() as cursor:
                for sql, params in statements:
                    cursor.execute(f"{explain} {sql}", params)
                    plan = "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())
                    print(f"\n-- {sql[:300]}{'…' if len(sql) > 300 else ''}\n{plan}")
    finally:
        connection.close()
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
