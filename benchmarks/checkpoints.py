"""Passage records at checkpoint gates, against a running server: how many records a second
the batch endpoint stores, and the single-record endpoint's latency at a steady 200 requests/s,
next to the raw single-row INSERT rate of the same PostgreSQL.

    python benchmarks/checkpoints.py --database-url postgres://postgres@127.0.0.1:55466/cpbench
    python benchmarks/checkpoints.py --database-url ... --runs 3            # the measurements three times
    python benchmarks/checkpoints.py --database-url ... --profile-only      # no server: queries and stages of one batch

PostgreSQL only. The data is built once and reused (--fresh empties EVERY TABLE of the database
first): a district of 4 streets × 5 communities, --households households (1–4 residents each,
registered ID numbers) with a household pass card each, one gate per community (--gates of
them) with a checkpoint-staff user posted to it, and --quarantined residents under an active
home-quarantine order (their household's card going out is a breach: turned back, an alert).

Then the script starts the server as `lianfang serve` does (granian, WSGI, --workers 2,
--blocking-threads 4, no task worker; DEBUG off, DATABASE_URL the benchmark database), warms
it up, and per run (--runs):

1. raw: single-row INSERTs into checkpoints_passage with psycopg, autocommit (one row, one
   transaction, one commit), one connection, --raw-seconds; the rows are deleted afterwards;
2. batch: locust headless (benchmarks/locust_checkpoints.py, BatchGate), --batch-users phones
   each posting batches of --batch-size records with fresh uids back to back for
   --batch-seconds, --replay-share of the posts a replay of an earlier batch (must store
   nothing). Records stored per second over the run; then the database is checked against
   what the server acknowledged: every acknowledged uid stored once, nothing else stored;
3. single: locust (SingleGate), --single-users phones at --single-rate requests/s in all
   (constant_throughput), for --single-seconds; p50/p95/p99 of the requests after the ramp-up.

A load tool and the server share the machine: locust (one process) takes part of the cores.
Exits 0 whatever the times (a benchmark, not a test). When a target is missed (or with
--profile) one batch and one single record are profiled in this process through Django's test
Client: queries per request and the time of each stage.
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCH_REF = "bench-checkpoints"  # token names, the district's code prefix, the raw rows' purpose
STREETS, COMMUNITIES_PER_STREET = 4, 5
TARGETS = {"batch_records_per_s": 1000, "single_p99_ms": 50, "single_rate": 200}
LOCUSTFILE = Path(__file__).resolve().parent / "locust_checkpoints.py"

# -- the records (also imported by the locustfile) ------------------------------------------

PROVINCES = "京津沪冀豫辽鲁苏浙粤川鄂湘皖闽"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
MOBILE_PREFIXES = ("136", "138", "139", "158", "159", "186", "188")


def id_check_digit(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


def random_id_number(rng: random.Random) -> str:
    first17 = (f"{rng.choice(('110105', '310104', '420106', '440305', '510107'))}"
               f"{rng.randrange(1950, 2005)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(0, 1000):03d}")
    return first17 + id_check_digit(first17)


class RecordMaker:
    """Records for one gate, as its phone sends them. Per record: 70% a pass card of one of the
    gate's households (those with someone under quarantine as likely as any), 12% the ID number
    of a registered resident, 8% an unregistered ID number with a name, 10% a visitor's name and
    phone; half in, half out; in: a temperature (0.5% fevers), out: 30% with one; 0.3% yellow
    codes, 90% green, 10% not checked; a plate on 10%. Times within the last 6 hours."""

    def __init__(self, gate: dict, rng: random.Random):
        self.gate, self.rng = gate, rng

    def record(self, now: dt.datetime) -> dict:
        rng, gate = self.rng, self.gate
        direction = "in" if rng.random() < 0.5 else "out"
        r = {"uid": str(uuid.uuid4()), "checkpoint": gate["uid"], "direction": direction,
             "at": (now - dt.timedelta(seconds=rng.uniform(0, 6 * 3600))).isoformat(timespec="seconds")}
        roll = rng.random()
        if roll < 0.70:
            r["card"] = rng.choice(gate["cards"])
        elif roll < 0.82:
            r["id_number"] = rng.choice(gate["id_numbers"])
        elif roll < 0.90:
            r["id_number"] = random_id_number(rng)
            r["name"] = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        else:
            r["name"] = rng.choice(SURNAMES) + rng.choice(GIVEN)
            r["phone"] = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(0, 10 ** 8):08d}"
        if direction == "in":
            r["temperature"] = f"{rng.uniform(37.4, 38.6):.1f}" if rng.random() < 0.005 else f"{rng.uniform(36.0, 37.0):.1f}"
        elif rng.random() < 0.3:
            r["temperature"] = f"{rng.uniform(36.0, 37.0):.1f}"
        code = rng.random()
        r["health_code"] = "yellow" if code < 0.003 else "green" if code < 0.9 else ""
        if rng.random() < 0.10:
            r["plate"] = f"{rng.choice(PROVINCES)}{rng.choice('ABCDEFGH')}{rng.randrange(0, 100000):05d}"
            r["disinfected"] = True
        return r


# -- helpers --------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0–100), nearest rank on the sorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def span(values: list[float], fmt: str = "{:,.0f}") -> str:
    values = [v for v in values if v == v]
    if not values:
        return "–"
    lo, hi = min(values), max(values)
    return fmt.format(lo) if len(values) == 1 or fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}–{fmt.format(hi)}"


def setup_django(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.pop("DEBUG", None)
    # The server reads the same folder: the same SECRET_KEY signs the pass cards' codes.
    os.environ.setdefault("LIANFANG_DATA", "/tmp/lianfang-bench-checkpoints")
    Path(os.environ["LIANFANG_DATA"]).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


# -- the data -------------------------------------------------------------------------------


def data_build(*, households: int, gates: int, quarantined: int, seed: int) -> None:
    """The district, households with cards, gates with their staff, quarantine orders."""
    from django.db import connection, transaction

    from lianfang.checkpoints import services as cp_services
    from lianfang.checkpoints import tokens
    from lianfang.checkpoints.models import PassCard
    from lianfang.core import clock
    from lianfang.core.audit import COMMAND
    from lianfang.core.idnumbers import check_digit
    from lianfang.core.models import Level, OrgUnit, User
    from lianfang.core.roles import Role
    from lianfang.quarantine import services as q_services
    from lianfang.quarantine.models import Category, OrderKind, Scheme, Source
    from lianfang.registry.models import Household, Resident

    started = time.monotonic()
    rng = random.Random(seed)

    def org(name: str, level: str, parent, code: str) -> OrgUnit:
        return OrgUnit.objects.create(name=name, level=level, parent=parent, code=f"{BENCH_REF}-{code}")

    with transaction.atomic():
        district = org("联防卡点测试区", Level.DISTRICT, None, "d")
        office = User.objects.create(username=f"{BENCH_REF}-office", role=Role.DISTRICT_OFFICE, jurisdiction=district,
                                     display_name="区防控办")
        buildings: dict[OrgUnit, list[tuple[OrgUnit, OrgUnit]]] = {}  # community: [(grid, building)]
        for s in range(STREETS):
            street = org(f"第{s + 1}街道", Level.STREET, district, f"s{s}")
            for c in range(COMMUNITIES_PER_STREET):
                community = org(f"{street.name}第{c + 1}社区", Level.COMMUNITY, street, f"s{s}c{c}")
                buildings[community] = []
                for g in range(2):
                    grid = org(f"{community.name}第{g + 1}网格", Level.GRID, community, f"s{s}c{c}g{g}")
                    for b in range(2):
                        building = org(f"{community.name}{g * 2 + b + 1}号楼", Level.BUILDING, grid, f"s{s}c{c}g{g}b{b}")
                        buildings[community].append((grid, building))
        communities = list(buildings)
        places = [p for c in communities for p in buildings[c]]
        rows = []
        for i in range(households):
            grid, building = places[i % len(places)]
            room = f"{(i // len(places)) // 4 + 1}{(i // len(places)) % 4 + 1:02d}"
            rows.append(Household(district=district, grid=grid, org=building, org_path=building.path,
                                  address=f"{building.name}{room}室", room=room))
        households_made = Household.objects.bulk_create(rows, batch_size=2000)
        residents, n = [], 0
        born0 = dt.date(1950, 1, 1)
        for h in households_made:
            for k in range(rng.choice((1, 2, 2, 3, 3, 4))):
                born = born0 + dt.timedelta(days=n // 500)
                first17 = f"110105{born:%Y%m%d}{(n % 500) * 2 + k % 2:03d}"
                number = first17 + check_digit(first17)
                residents.append(Resident(district=district, household=h, org_path=h.org_path,
                                          name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                                          id_number=number, id_tail=number[-4:], phone=f"139{rng.randrange(0, 10 ** 8):08d}",
                                          relation_to_head="head" if k == 0 else "spouse"))
                n += 1
        Resident.objects.bulk_create(residents, batch_size=2000)
        PassCard.objects.bulk_create([PassCard(district=district, household=h, org_path=h.org_path, number=f"CPB{i:08d}",
                                               token=tokens.token_new()) for i, h in enumerate(households_made)], batch_size=2000)
        for g in range(gates):
            community = communities[g % len(communities)]
            staff = User.objects.create(username=f"{BENCH_REF}-gate-{g + 1:02d}", role=Role.CHECKPOINT_STAFF, jurisdiction=community,
                                        display_name=f"卡点{g + 1}值守")
            staff.set_unusable_password()
            staff.save(update_fields=["password"])
            gate = cp_services.checkpoint_create(actor=office, org=community, name=f"{g // len(communities) + 1}号门",
                                                 kind="compound_gate", via=COMMAND)
            cp_services.checkpoint_staff_set(actor=office, checkpoint=gate, users=[staff], via=COMMAND)
        # Quarantine: one resident in each of the first --quarantined communities (cycling).
        by_community = {c: [h for h in households_made if h.org_path.startswith(c.path)] for c in communities}
        for q in range(quarantined):
            household = by_community[communities[q % len(communities)]][q // len(communities)]
            resident = Resident.objects.filter(household=household).order_by("pk").first()
            person, _ = q_services.key_person_register(actor=office, resident=resident, category=Category.CLOSE_CONTACT,
                                                       source=Source.SCREENING, via=COMMAND)
            q_services.quarantine_order_start(actor=office, key_person=person, kind=OrderKind.HOME_QUARANTINE, start_date=clock.today(),
                                              days=14, scheme=Scheme.TWO_FOR_ONE, cadres=(), via=COMMAND)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"data build: {households:,} households, {len(residents):,} residents, {households:,} pass cards, {gates} gates, "
          f"{quarantined} under quarantine, in {time.monotonic() - started:.1f} s")


def gates_export(path: Path) -> list[dict]:
    """The gates file the locustfile reads: each gate's uid, its staff's fresh token, the card
    codes of its community's households and its residents' ID numbers."""
    from lianfang.checkpoints import tokens
    from lianfang.checkpoints.models import Checkpoint, PassCard
    from lianfang.core.models import ApiToken
    from lianfang.core.scoping import subtree_q
    from lianfang.registry.models import Resident

    gates = []
    for gate in Checkpoint.objects.filter(org__code__startswith=BENCH_REF).prefetch_related("staff").order_by("pk"):
        staff = gate.staff.all()[0]
        _, key = ApiToken.issue(user=staff, name=BENCH_REF)
        cards = [tokens.card_code(t) for t in PassCard.objects.filter(subtree_q("org_path", gate.org_path), status="active")
                 .values_list("token", flat=True)]
        id_numbers = list(Resident.objects.filter(subtree_q("org_path", gate.org_path)).values_list("id_number", flat=True))
        gates.append({"uid": str(gate.uid), "key": key, "username": staff.username, "cards": cards, "id_numbers": id_numbers})
    path.write_text(json.dumps(gates, ensure_ascii=False), encoding="utf-8")
    return gates


# -- the server -----------------------------------------------------------------------------


def server_start(*, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from lianfang.core.management.commands.serve import server_commands

    if not settings.STATIC_ROOT.is_dir() or not any(settings.STATIC_ROOT.iterdir()):
        call_command("collectstatic", interactive=False, verbosity=0)
    (command,) = server_commands(host="127.0.0.1", port=port, workers=workers, threads=threads, with_worker=False)
    env = os.environ.copy()
    env.update(DJANGO_SETTINGS_MODULE="lianfang.settings", DATABASE_URL=os.environ["DATABASE_URL"],
               LIANFANG_DATA=os.environ["LIANFANG_DATA"])
    env.pop("DEBUG", None)
    connection.close()
    print(f"server:   {' '.join(command[1:])}")
    return subprocess.Popen(command, env=env, process_group=0, stdout=log.open("w"), stderr=subprocess.STDOUT)


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def http(url: str, *, key: str, body: dict | None = None, timeout: float = 30) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, {"error": e.read()[:300].decode(errors="replace")}


def server_ready(process: subprocess.Popen, base: str, key: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            status, _ = http(f"{base}/api/checkpoints", key=key, timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within 60 s:\n{log.read_text()[-2000:]}")


def warm_up(base: str, gates: list[dict], *, seconds: float) -> None:
    """Every thread of both workers opens its connection and loads the code paths."""
    from concurrent.futures import ThreadPoolExecutor

    def phone(gate: dict) -> int:
        maker, sent = RecordMaker(gate, random.Random()), 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            now = dt.datetime.now().astimezone()
            status, answer = http(f"{base}/api/passages/batch", key=gate["key"],
                                  body={"records": [maker.record(now) for _ in range(50)]})
            assert status == 200, (status, answer)
            for _ in range(5):
                status, answer = http(f"{base}/api/passages", key=gate["key"], body=maker.record(now))
                assert status == 201, (status, answer)
            sent += 55
        return sent

    with ThreadPoolExecutor(8) as pool:
        sent = sum(pool.map(phone, gates[:8]))
    print(f"warm-up:  {seconds:.0f} s, {sent:,} records from 8 phones")


# -- the measurements -----------------------------------------------------------------------


def raw_inserts(database_url: str, *, seconds: float, gate_row: dict) -> dict:
    """Single-row INSERTs into checkpoints_passage (the real table: its indexes, unique uid and
    deferred foreign keys), autocommit: each row its own transaction and commit."""
    import psycopg

    sql = ("INSERT INTO checkpoints_passage (uid, district_id, checkpoint_id, org_path, at, direction, subject, card_id, household_id, "
           "resident_id, name, id_number, phone, is_visitor, temperature, mask, health_code, plate, disinfected, purpose, outcome, "
           "turn_back_reason, is_fever, is_breach, recorded_by_id, recorded_at) VALUES (%s, %s, %s, %s, %s, 'in', 'card', %s, %s, NULL, "
           "%s, NULL, '', false, 36.5, NULL, 'green', '', NULL, %s, 'passed', '', false, false, %s, %s)")
    latencies = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = gate_row
        now = dt.datetime.now(dt.timezone.utc)
        end = time.perf_counter() + seconds
        started = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            conn.execute(sql, (uuid.uuid4(), row["district_id"], row["checkpoint_id"], row["org_path"], now, row["card_id"],
                               row["household_id"], "王伟", BENCH_REF, row["user_id"], now), prepare=True)
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
        deleted = conn.execute("DELETE FROM checkpoints_passage WHERE purpose = %s", (BENCH_REF,)).rowcount
        conn.execute("VACUUM checkpoints_passage")
    assert deleted == len(latencies), (deleted, len(latencies))
    return {"rows": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed, "p50": pct(latencies, 50),
            "p99": pct(latencies, 99)}


class Cpu:
    """CPU seconds used by the server (granian and its workers), PostgreSQL (the postmaster and
    its backends, live and ended) and locust, between two snapshots: what each request costs,
    whatever else runs on the machine."""

    def __init__(self, server_pid: int):
        import psutil
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.postmaster = psutil.Process(psutil.Process(cursor.fetchone()[0]).ppid())
        self.server = psutil.Process(server_pid)

    @staticmethod
    def _tree(process) -> float:
        total = 0.0
        for p in [process] + process.children(recursive=True):
            try:
                t = p.cpu_times()
            except Exception:  # ended meanwhile: counted in its parent's children_* once reaped
                continue
            total += t.user + t.system + (t.children_user + t.children_system if p is process else 0)
        return total

    def snapshot(self) -> dict:
        import resource

        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # locust, once it has exited
        return {"server": self._tree(self.server), "postgres": self._tree(self.postmaster),
                "locust": children.ru_utime + children.ru_stime, "wall": time.monotonic()}

    @staticmethod
    def delta(before: dict, after: dict) -> dict:
        return {k: after[k] - before[k] for k in before}


CPU: list = []  # the Cpu of the running server


def locust_run(*, user_class: str, users: int, spawn_rate: float, seconds: int, base: str, workdir: Path, env_extra: dict) -> dict:
    out = workdir / f"{user_class}-{time.time_ns()}.json"
    env = os.environ.copy()
    env.update({"LF_CP_GATES": str(workdir / "gates.json"), "LF_CP_OUT": str(out), **{k: str(v) for k, v in env_extra.items()}})
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), user_class, "--headless", "-u", str(users),
               "-r", str(spawn_rate), "-t", f"{seconds}s", "--host", base, "--only-summary", "--stop-timeout", "60",
               "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    log = workdir / f"{user_class}.log"
    before = CPU[0].snapshot()
    with log.open("w") as f:
        code = subprocess.run(command, env=env, stdout=f, stderr=subprocess.STDOUT).returncode
    cpu = Cpu.delta(before, CPU[0].snapshot())
    if not out.exists():
        raise SystemExit(f"locust wrote no results (exit {code}):\n{log.read_text()[-3000:]}")
    result = json.loads(out.read_text())
    result["cpu"] = cpu
    return result


def stored_uids(uids: list[str]) -> int:
    from lianfang.checkpoints.models import Passage

    found = 0
    for i in range(0, len(uids), 5000):
        found += Passage.objects.filter(uid__in=uids[i:i + 5000]).count()
    return found


def new_rows(since_pk: int) -> dict:
    """What was stored after `since_pk`: rows, distinct uids, the mix."""
    from django.db.models import Count, Q

    from lianfang.checkpoints.models import Passage, Referral
    from lianfang.quarantine.models import Alert

    qs = Passage.objects.filter(pk__gt=since_pk)
    figures = qs.aggregate(rows=Count("pk"), uids=Count("uid", distinct=True), card=Count("pk", filter=Q(subject="card")),
                           id_number=Count("pk", filter=Q(subject="id_number")), visitor=Count("pk", filter=Q(subject="visitor")),
                           is_visitor=Count("pk", filter=Q(is_visitor=True)), plate=Count("pk", filter=~Q(plate="")),
                           fever=Count("pk", filter=Q(is_fever=True)), breach=Count("pk", filter=Q(is_breach=True)))
    figures["referrals"] = Referral.objects.filter(passage_id__gt=since_pk).count()
    figures["breach_alerts"] = Alert.objects.filter(kind="breach", pk__gt=_alert_mark.get("pk", 0)).count()
    return figures


_alert_mark: dict = {}


def marks() -> int:
    from django.db.models import Max

    from lianfang.checkpoints.models import Passage
    from lianfang.quarantine.models import Alert

    _alert_mark["pk"] = Alert.objects.aggregate(m=Max("pk"))["m"] or 0
    return Passage.objects.aggregate(m=Max("pk"))["m"] or 0


def batch_scenario(args, base: str, workdir: Path) -> dict:
    since = marks()
    spawn = max(1, args.batch_users)
    result = locust_run(user_class="BatchGate", users=args.batch_users, spawn_rate=spawn, seconds=args.batch_seconds, base=base,
                        workdir=workdir, env_extra={"LF_CP_BATCH": args.batch_size, "LF_CP_REPLAY": args.replay_share})
    log = result["requests"]
    fresh = [r for r in log if r[0] == "batch"]
    replays = [r for r in log if r[0] == "replay"]
    ok = [r for r in fresh if r[3] == 200 and r[5] == r[4]]
    failed = [r for r in fresh if not (r[3] == 200 and r[5] == r[4])]
    acked = [u for r in ok for u in r[7]]
    first = min(r[1] for r in log)
    last = max(r[1] + r[2] / 1000 for r in log)
    duration = last - first
    stored_sum = sum(r[5] for r in ok)
    db = new_rows(since)
    found = stored_uids(acked) if args.verify else len(acked)
    lost_failed = stored_uids([u for r in failed for u in r[7]]) if failed else 0
    latencies = [r[2] for r in fresh if r[3] == 200]
    return {
        "posts": len(fresh), "replays": len(replays), "failed": len(failed),
        "replays_bad": sum(1 for r in replays if not (r[3] == 200 and r[5] == 0 and r[6] == r[4])),
        "stored": stored_sum, "rate": stored_sum / duration, "duration": duration, "req_rate": len(log) / duration,
        "p50": pct(latencies, 50), "p95": pct(latencies, 95), "max": max(latencies, default=float("nan")),
        "db_rows": db["rows"], "db_distinct": db["uids"], "acked_found": found, "acked": len(acked),
        "failed_but_stored": lost_failed, "mix": db, "cpu": result["cpu"],
    }


def single_scenario(args, base: str, workdir: Path) -> dict:
    since = marks()
    per_user = args.single_rate / args.single_users
    spawn = max(1.0, args.single_users / 5)
    result = locust_run(user_class="SingleGate", users=args.single_users, spawn_rate=spawn, seconds=args.single_seconds, base=base,
                        workdir=workdir, env_extra={"LF_CP_RATE": per_user})
    log = result["requests"]
    first = min(r[1] for r in log)
    ramp = args.single_users / spawn + 3  # the users' start plus a few seconds to settle
    steady = [r for r in log if r[1] >= first + ramp]
    window = max(r[1] for r in steady) - min(r[1] for r in steady)
    latencies = [r[2] for r in steady]
    db = new_rows(since)
    created = [r for r in log if r[3] == 201]
    found = stored_uids([r[7][0] for r in created]) if args.verify else len(created)
    return {
        "requests": len(steady), "all_requests": len(log), "rate": len(steady) / window, "window": window,
        "p50": pct(latencies, 50), "p95": pct(latencies, 95), "p99": pct(latencies, 99), "max": max(latencies),
        "failed": sum(1 for r in log if r[3] != 201), "db_rows": db["rows"], "created": len(created), "acked_found": found,
        "mix": db, "cpu": result["cpu"],
    }


# -- in-process profile ---------------------------------------------------------------------


def profile(args, gates: list[dict]) -> dict:
    """One gate's batches and single records through Django's test Client (the whole request:
    middleware, token auth, ninja's parsing, the service, the response), with the service's
    stages timed by wrapping them and every query captured."""
    from django.db import connection, reset_queries
    from django.db.models.query import QuerySet
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lianfang.checkpoints import services
    from lianfang.core import api_auth

    stages: dict[str, float] = {}
    patched = []

    def wrap(owner, name: str, label: str):
        original = getattr(owner, name)

        def timed(*a, **kw):
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                stages[label] = stages.get(label, 0.0) + (time.perf_counter() - t0) * 1000
        patched.append((owner, name, original))
        setattr(owner, name, timed)

    from ninja import operation

    order = ["token auth (SELECT token+user, UPDATE last_used)", "ninja: parse + validate the body (pydantic)",
             "service: passages_record (all)", "  lookups: gates, cards, residents (SELECT)", "  validate + build the rows (Python)",
             "  card code HMAC check (in lookups and build: twice a card)", "  quarantine: household members + active orders",
             "  bulk_create (passages, referrals: Python + INSERT)", "  side effects: referrals + breach alerts",
             "  audit record (INSERT)", "  COMMIT (the WAL flushed to disk)", "ninja: serialise the response (pydantic + JSON)"]
    wrap(api_auth.TokenAuth, "authenticate", order[0])
    if hasattr(operation.Operation, "_get_values"):
        wrap(operation.Operation, "_get_values", order[1])
    wrap(services, "passages_record", order[2])
    wrap(services, "_gate_lookups", order[3])
    wrap(services, "_passage_build", order[4])
    wrap(services.tokens, "token_from_code", order[5])
    wrap(services, "_orders_at_gate", order[6])
    wrap(QuerySet, "bulk_create", order[7])
    wrap(services, "_side_effects", order[8])
    wrap(services, "audit_record", order[9])
    wrap(connection, "commit", order[10])
    if hasattr(operation.Operation, "_result_to_response"):
        wrap(operation.Operation, "_result_to_response", order[11])

    gate = gates[0]
    client = Client(headers={"authorization": f"Bearer {gate['key']}"})
    maker = RecordMaker(gate, random.Random(args.seed))
    out = {}
    try:
        for label, path, size, count in (("batch", "/api/passages/batch", args.batch_size, args.profile_batches),
                                         ("single", "/api/passages", 1, args.profile_batches * 10)):
            def body():
                now = dt.datetime.now().astimezone()
                if size == 1:
                    return json.dumps(maker.record(now))
                return json.dumps({"records": [maker.record(now) for _ in range(size)]})
            for _ in range(3):  # warm
                client.post(path, body(), content_type="application/json")
            stages.clear()
            totals, sql, nqueries, sizes = [], [], [], []
            replay_body = None
            per_query: dict[str, list[float]] = {}
            for _ in range(count):
                payload = body()
                replay_body = payload
                timer = QueryTimer()
                with connection.execute_wrapper(timer):
                    t0 = time.perf_counter()
                    response = client.post(path, payload, content_type="application/json")
                    totals.append((time.perf_counter() - t0) * 1000)
                assert response.status_code in (200, 201), response.content[:300]
                sizes.append(len(response.content))
                nqueries.append(len(timer.queries))
                sql.append(sum(ms for _, ms in timer.queries))
                for text, ms in timer.queries:
                    key = re.sub(r'"s\d+_x\d+"', "sp", " ".join(text.split()))[:130]
                    per_query.setdefault(key, []).append(ms)
            last_queries = [{"sql": k, "per_request": len(v) / count, "ms": sum(v) / count} for k, v in per_query.items()]
            reset_queries()
            with CaptureQueriesContext(connection) as replay_queries:
                t0 = time.perf_counter()
                response = client.post(path, replay_body, content_type="application/json")
                replay_ms = (time.perf_counter() - t0) * 1000
            out[label] = {"size": size, "count": count, "total": statistics.fmean(totals), "sql": statistics.median(sql),
                          "queries": statistics.median(nqueries), "bytes": statistics.median(sizes),
                          "stages": {k: stages[k] / count for k in order if k in stages}, "last_queries": last_queries,
                          "replay_ms": replay_ms, "replay_queries": len(replay_queries.captured_queries)}
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)
    for label, lines in whatifs(args, gate).items():
        out[label]["whatifs"] = lines
    return out


class QueryTimer:
    """connection.execute_wrapper: every statement and its time in ms, full precision (BEGIN
    and COMMIT do not pass through it: the COMMIT is timed as a stage)."""

    def __init__(self):
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, (time.perf_counter() - t0) * 1000))


def whatifs(args, gate: dict) -> dict:
    """Sizes for the suggestions, measured in this process on fresh records of `gate`."""
    from django.core.serializers.json import DjangoJSONEncoder
    from django.db import connection

    from lianfang.checkpoints import services
    from lianfang.checkpoints.api import _result as passage_result
    from lianfang.checkpoints.schemas import BatchOut
    from lianfang.core.audit import COMMAND
    from lianfang.core.models import ApiToken, User

    maker = RecordMaker(gate, random.Random(args.seed + 7))
    user = User.objects.select_related("jurisdiction").get(username=gate["username"])
    out = {"batch": [], "single": []}

    def drafts(n: int) -> list:
        now = dt.datetime.now().astimezone()
        return [services.PassageDraft(**maker.record(now)) for _ in range(n)]

    service, answer, answer_bytes = [], [], 0
    for _ in range(args.profile_batches):
        d = drafts(args.batch_size)
        t0 = time.perf_counter()
        results = services.passages_record(actor=user, drafts=d, via=COMMAND)
        service.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        payload = {"stored": sum(r.created for r in results), "replayed": 0, "results": [passage_result(r) for r in results]}
        text = json.dumps(BatchOut.model_validate(payload).model_dump(), cls=DjangoJSONEncoder)
        answer.append((time.perf_counter() - t0) * 1000)
        answer_bytes = len(text.encode())
    out["batch"].append(f"services.passages_record alone for {args.batch_size} records: {statistics.median(service):.1f} ms "
                        f"({statistics.median(service) / args.batch_size * 1000:.0f} µs a record)")
    out["batch"].append(f"the answer (uid, created, outcome, notes... per record): {statistics.median(answer):.1f} ms, "
                        f"{answer_bytes / 1024:.0f} KiB")
    token = ApiToken.objects.filter(user=user).first()
    timings = []
    for _ in range(50):
        t0 = time.perf_counter()
        ApiToken.objects.filter(pk=token.pk).update(last_used=dt.datetime.now(dt.timezone.utc))
        timings.append((time.perf_counter() - t0) * 1000)
    out["single"].append(f"the token's last_used UPDATE on its own (autocommit: its own transaction and commit): "
                         f"p50 {statistics.median(timings):.2f} ms, p95 {pct(timings, 95):.2f} ms")
    connection.close()
    return out


def profile_print(prof: dict) -> None:
    for label, p in prof.items():
        what = f"a batch of {p['size']}" if label == "batch" else "a single record"
        print(f"\nprofile, {what} through the test Client (mean of {p['count']} requests, ms):")
        print(f"  whole request {p['total']:8.1f} ms   {p['queries']:.0f} statements, {p['sql']:.1f} ms in them (round trips; COMMIT not included), "
              f"response {p['bytes'] / 1024:,.1f} KiB")
        for stage, ms in p["stages"].items():
            share = ms / p["total"] * 100 if p["total"] else 0
            print(f"  {stage:<58}{ms:8.2f} ms {share:5.1f}%")
        print(f"  the same request replayed: {p['replay_ms']:.1f} ms, {p['replay_queries']} queries")
        print("  its statements (per request: how many, ms in all, timed in this process: round trip included):")
        for q in p["last_queries"]:
            print(f"    {q['per_request']:5.2f} × {q['ms']:6.2f} ms  {q['sql'][:110]}{'…' if len(q['sql']) > 110 else ''}")
        for line in p.get("whatifs", []):
            print(f"  what-if: {line}")


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a throwaway PostgreSQL database (filled once, reused; emptied with --fresh)")
    parser.add_argument("--households", type=int, default=800)
    parser.add_argument("--gates", type=int, default=20)
    parser.add_argument("--quarantined", type=int, default=12, help="residents under an active home-quarantine order")
    parser.add_argument("--seed", type=int, default=20200124)
    parser.add_argument("--fresh", action="store_true", help="empty the database and build everything again")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="granian --blocking-threads, as `lianfang serve`")
    parser.add_argument("--runs", type=int, default=1, help="raw + batch + single, this many times against the same server")
    parser.add_argument("--warmup", type=float, default=8, help="seconds")
    parser.add_argument("--raw-seconds", type=float, default=10, help="0: skip")
    parser.add_argument("--batch-seconds", type=int, default=60, help="0: skip")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--batch-users", type=int, default=4, help="phones posting batches back to back")
    parser.add_argument("--replay-share", type=float, default=0.05, help="of the batch posts, replays of an earlier batch")
    parser.add_argument("--single-seconds", type=int, default=60, help="0: skip")
    parser.add_argument("--single-rate", type=float, default=200, help="requests/s in all")
    parser.add_argument("--single-users", type=int, default=200)
    parser.add_argument("--no-verify", dest="verify", action="store_false", help="do not look up every acknowledged uid")
    parser.add_argument("--profile", action="store_true", help="profile in-process even when the targets are met")
    parser.add_argument("--profile-only", action="store_true", help="no server, no load: only the in-process profile")
    parser.add_argument("--profile-batches", type=int, default=10)
    parser.add_argument("--workdir", default="/tmp/lf-bench-checkpoints", help="gates file, locust logs, the server's log")
    args = parser.parse_args()

    setup_django(args)
    from django.core.management import call_command
    from django.db import connection

    from lianfang.checkpoints.models import Checkpoint, PassCard, Passage
    from lianfang.core.models import ApiToken, OrgUnit

    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    server = None
    try:
        call_command("migrate", interactive=False, verbosity=0)
        if args.fresh:
            call_command("flush", interactive=False, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version(), current_setting('fsync'), current_setting('synchronous_commit'), "
                           "current_setting('shared_buffers')")
            version, fsync, sync_commit, shared_buffers = cursor.fetchone()
        print(f"database: {connection.settings_dict['NAME']} ({version.split(' on ')[0]}; fsync={fsync}, "
              f"synchronous_commit={sync_commit}, shared_buffers={shared_buffers})")
        print(f"machine:  {os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not OrgUnit.objects.filter(code=f"{BENCH_REF}-d").exists():
            data_build(households=args.households, gates=args.gates, quarantined=args.quarantined, seed=args.seed)
        ApiToken.objects.filter(name=BENCH_REF).delete()
        gates = gates_export(workdir / "gates.json")
        print(f"data:     {len(gates)} gates, {PassCard.objects.count():,} pass cards, {Passage.objects.count():,} passages stored so far")

        runs = []
        if not args.profile_only:
            gate0 = Checkpoint.objects.get(uid=gates[0]["uid"])
            card = PassCard.objects.filter(org_path__startswith=gate0.org_path).first()
            raw_row = {"district_id": gate0.district_id, "checkpoint_id": gate0.pk, "org_path": gate0.org_path, "card_id": card.pk,
                       "household_id": card.household_id, "user_id": gate0.staff.first().pk}
            base = f"http://127.0.0.1:{args.port}"
            server_log = workdir / "server.log"
            server = server_start(port=args.port, workers=args.workers, threads=args.threads, log=server_log)
            server_ready(server, base, gates[0]["key"], server_log)
            CPU.append(Cpu(server.pid))
            warm_up(base, gates, seconds=args.warmup)
            for n in range(args.runs):
                run = {}
                print(f"\nrun {n + 1} of {args.runs} (load average {os.getloadavg()[0]:.2f})")
                if args.raw_seconds:
                    run["raw"] = raw = raw_inserts(args.database_url, seconds=args.raw_seconds, gate_row=raw_row)
                    print(f"  raw psycopg single-row INSERT, autocommit: {raw['rows']:,} rows in {raw['seconds']:.1f} s = "
                          f"{raw['rate']:,.0f} rows/s (p50 {raw['p50']:.2f} ms, p99 {raw['p99']:.2f} ms)")
                if args.batch_seconds:
                    run["batch"] = b = batch_scenario(args, base, workdir)
                    print(f"  batch: {b['posts']} posts of {args.batch_size} + {b['replays']} replays in {b['duration']:.1f} s: "
                          f"{b['stored']:,} records stored = {b['rate']:,.0f} records/s ({b['req_rate']:.1f} requests/s; "
                          f"post p50 {b['p50']:.0f} ms, p95 {b['p95']:.0f} ms, max {b['max']:.0f} ms)")
                    ok = (b["failed"] == 0 and b["replays_bad"] == 0 and b["db_rows"] == b["stored"] == b["acked"] == b["acked_found"]
                          and b["db_distinct"] == b["db_rows"])
                    print(f"    check: {b['db_rows']:,} rows stored in the run, {b['db_distinct']:,} distinct uids; "
                          f"{b['acked_found']:,} of {b['acked']:,} acknowledged uids found; {b['failed']} failed posts "
                          f"({b['failed_but_stored']} of their records stored); {b['replays_bad']} replays stored something"
                          f" -> {'OK' if ok else 'MISMATCH'}")
                    m = b["mix"]
                    print(f"    mix: card {m['card'] / m['rows']:.0%}, ID number {m['id_number'] / m['rows']:.0%}, "
                          f"visitor {m['visitor'] / m['rows']:.0%} (not living there: {m['is_visitor'] / m['rows']:.0%}); "
                          f"plates {m['plate']:,}, fevers {m['fever']}, referrals {m['referrals']}, "
                          f"breaches {m['breach']} ({m['breach_alerts']} alerts)")
                    print("    " + cpu_line(b["cpu"], b["stored"], "record"))
                if args.single_seconds:
                    run["single"] = s = single_scenario(args, base, workdir)
                    print(f"  single: {s['requests']:,} requests in the steady {s['window']:.0f} s = {s['rate']:.1f} requests/s "
                          f"(target {args.single_rate:.0f}); p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, p99 {s['p99']:.1f} ms, "
                          f"max {s['max']:.0f} ms; {s['failed']} failed")
                    print(f"    check: {s['created']:,} created (201), {s['acked_found']:,} found, {s['db_rows']:,} rows stored in the run"
                          f" -> {'OK' if s['created'] == s['acked_found'] == s['db_rows'] else 'MISMATCH'}")
                    print("    " + cpu_line(s["cpu"], s["created"], "request"))
                runs.append(run)
            server_stop(server)
            server = None

        summary(args, runs)
        missed = any(r.get("batch", {}).get("rate", 1e9) < TARGETS["batch_records_per_s"]
                     or r.get("single", {}).get("p99", 0) >= TARGETS["single_p99_ms"] for r in runs)
        if missed or args.profile or args.profile_only:
            profile_print(profile(args, gates))
    finally:
        if server is not None:
            server_stop(server)
        ApiToken.objects.filter(name=BENCH_REF).delete()
        connection.close()


def cpu_line(cpu: dict, n: int, unit: str) -> str:
    wall = cpu["wall"]
    return (f"CPU over {wall:.0f} s: server {cpu['server']:.1f} s ({cpu['server'] / wall:.2f} cores, "
            f"{cpu['server'] / max(n, 1) * 1000:.2f} ms a {unit}), PostgreSQL {cpu['postgres']:.1f} s "
            f"({cpu['postgres'] / max(n, 1) * 1000:.2f} ms a {unit}), locust {cpu['locust']:.1f} s; "
            f"machine load average {os.getloadavg()[0]:.2f}")


def summary(args, runs: list[dict]) -> None:
    if not runs:
        return
    raw = [r["raw"]["rate"] for r in runs if "raw" in r]
    batch = [r["batch"]["rate"] for r in runs if "batch" in r]
    single = [r["single"] for r in runs if "single" in r]
    print(f"\nsummary over {len(runs)} run(s) (min–max); server: granian, {args.workers} workers × {args.threads} threads, "
          f"locust on the same {os.cpu_count()} cores")
    rows = [("raw psycopg single-row INSERT (autocommit)", "", span(raw) + " rows/s")]
    if batch:
        b_ok = min(batch) >= TARGETS["batch_records_per_s"]
        rows.append((f"batch ingestion ({args.batch_size}/post, {args.batch_users} phones)", "≥ 1,000 records/s",
                     span(batch) + " records/s" + ("" if b_ok else "  MISSED")))
        rows.append(("  batch post latency p50 / p95", "", f"{span([r['batch']['p50'] for r in runs if 'batch' in r])} / "
                                                          f"{span([r['batch']['p95'] for r in runs if 'batch' in r])} ms"))
        if raw:
            rows.append(("  ratio batch records/s ÷ raw rows/s", "", span([r["batch"]["rate"] / r["raw"]["rate"] for r in runs
                                                                             if "batch" in r and "raw" in r], "{:.2f}")))
    if single:
        p99_ok = max(s["p99"] for s in single) < TARGETS["single_p99_ms"]
        rows.append((f"single records at {args.single_rate:.0f}/s: achieved", "200 requests/s", span([s["rate"] for s in single], "{:.1f}")
                     + " requests/s"))
        rows.append(("  p50 / p95", "", f"{span([s['p50'] for s in single], '{:.1f}')} / {span([s['p95'] for s in single], '{:.1f}')} ms"))
        rows.append(("  p99", "< 50 ms", span([s["p99"] for s in single], "{:.1f}") + " ms" + ("" if p99_ok else "  MISSED")))
        rows.append(("  failures", "", span([s["failed"] for s in single])))
        if raw:
            rows.append(("  ratio single requests/s ÷ raw rows/s", "", span([r["single"]["rate"] / r["raw"]["rate"] for r in runs
                                                                              if "single" in r and "raw" in r], "{:.2f}")))
    width = max(len(r[0]) for r in rows) + 2
    print(f"  {'':<{width}}{'target':<20}measured")
    for label, target, value in rows:
        print(f"  {label:<{width}}{target:<20}{value}")


if __name__ == "__main__":
    main()
