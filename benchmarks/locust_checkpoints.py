"""The load of `benchmarks/checkpoints.py`: checkpoint phones sending passage records.

Started by checkpoints.py (locust headless, one process); not meant to be run by hand, though
it can be, given the gates file the script writes:

    LF_CP_GATES=/tmp/lf-cp/gates.json LF_CP_OUT=/tmp/lf-cp/batch.json \
        locust -f benchmarks/locust_checkpoints.py BatchGate --headless -u 4 -r 4 -t 60s --host http://127.0.0.1:8765

Each simulated phone is posted to one gate (round robin over the gates) with its staff user's
token. `BatchGate` sends its offline queue: LF_CP_BATCH records with fresh uids per POST
/api/passages/batch, back to back; a share LF_CP_REPLAY of its posts resend a batch it sent
before (must store nothing). `SingleGate` sends one record per POST /api/passages at
LF_CP_RATE requests/s per user (locust's constant_throughput). Every request is logged (start,
ms, status, what the server said, and the uids of fresh batches) and written to LF_CP_OUT as
JSON when the test stops, so the script computes its own percentiles and checks the database
against what was acknowledged.

The records are made by checkpoints.RecordMaker (the mix is described there)."""

import datetime as dt
import itertools
import json
import os
import random
import sys
import time
from pathlib import Path

from locust import FastHttpUser, constant, constant_throughput, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkpoints import RecordMaker  # noqa: E402  (stdlib only at import: no Django here)

GATES = json.loads(Path(os.environ["LF_CP_GATES"]).read_text(encoding="utf-8")) if os.environ.get("LF_CP_GATES") else []
BATCH = int(os.environ.get("LF_CP_BATCH", "200"))
REPLAY = float(os.environ.get("LF_CP_REPLAY", "0.05"))
RATE = float(os.environ.get("LF_CP_RATE", "1"))
OUT = os.environ.get("LF_CP_OUT", "")

_turn = itertools.count()
LOG: list = []  # (kind, started unix s, ms, status, n, stored, replayed, uids)


class _Phone(FastHttpUser):
    abstract = True
    connection_timeout = 30.0
    network_timeout = 60.0

    def on_start(self):
        self.gate = GATES[next(_turn) % len(GATES)]
        self.maker = RecordMaker(self.gate, random.Random())
        self.headers = {"Authorization": f"Bearer {self.gate['key']}", "Content-Type": "application/json"}


class BatchGate(_Phone):
    wait_time = constant(0)

    def on_start(self):
        super().on_start()
        self.sent: list[tuple[bytes, int]] = []  # acknowledged fresh batches, to replay

    @task
    def batch(self):
        replay = bool(self.sent) and random.random() < REPLAY
        if replay:
            body, n = random.choice(self.sent)
            uids = []
        else:
            now = dt.datetime.now().astimezone()
            records = [self.maker.record(now) for _ in range(BATCH)]
            body, n = json.dumps({"records": records}).encode(), len(records)
            uids = [r["uid"] for r in records]
        started = time.time()
        t0 = time.perf_counter()
        with self.client.post("/api/passages/batch", data=body, headers=self.headers, catch_response=True,
                              name="batch replay" if replay else "batch") as response:
            ms = (time.perf_counter() - t0) * 1000
            stored = replayed = -1
            if response.status_code == 200:
                payload = response.json()
                stored, replayed = payload["stored"], payload["replayed"]
                expected = (0, n) if replay else (n, 0)
                if (stored, replayed) != expected:
                    response.failure(f"stored/replayed {stored}/{replayed}, expected {expected[0]}/{expected[1]}")
                elif not replay:
                    self.sent.append((body, n))
                    del self.sent[:-20]
            else:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
        LOG.append(("replay" if replay else "batch", started, ms, response.status_code, n, stored, replayed, uids))


class SingleGate(_Phone):
    wait_time = constant_throughput(RATE)

    @task
    def single(self):
        record = self.maker.record(dt.datetime.now().astimezone())
        body = json.dumps(record).encode()
        started = time.time()
        t0 = time.perf_counter()
        with self.client.post("/api/passages", data=body, headers=self.headers, catch_response=True, name="single") as response:
            ms = (time.perf_counter() - t0) * 1000
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
        LOG.append(("single", started, ms, response.status_code, 1, 1 if response.status_code == 201 else 0, 0, [record["uid"]]))


@events.quitting.add_listener
def _write_log(environment, **kw):
    if OUT:
        with open(OUT, "w", encoding="utf-8") as f:
            json.dump({"requests": LOG}, f)
