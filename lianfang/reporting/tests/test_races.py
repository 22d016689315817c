"""Two at once, by the tester (PostgreSQL: real concurrent transactions). Brief numbers without
gaps, a robot message sent once by two workers, a submission raced by its own retry."""

import datetime as dt
import http.server
import json
import threading
import time
import uuid

import pytest
from django.db import connection, connections

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError
from lianfang.core.models import AuditEntry

from .. import services
from ..models import Brief, BriefCounter, DailyReport, Reminder
from .factories import DAY, local, template

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL (SQLite has one writer at a time)"),
    pytest.mark.django_db(transaction=True),
]


def together(*fns, timeout=20):
    """Run each fn in its own thread with its own connection, released at the same moment."""
    barrier = threading.Barrier(len(fns))
    outcomes = [{} for _ in fns]

    def run(fn, out):
        try:
            barrier.wait(5)
            out["value"] = fn()
        except Exception as e:  # noqa: BLE001 - the test inspects it
            out["error"] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn, out)) for fn, out in zip(fns, outcomes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return outcomes


@pytest.mark.parametrize("first_ever", [True, False])
def test_two_briefs_generated_at_once_get_consecutive_numbers(world, units, frozen, first_ever):
    frozen(local(DAY, 18))
    template(world)
    if not first_ever:
        services.brief_issue(actor=world.district_office, district=world.district, day=DAY, again=True, via=COMMAND)

    def generate():
        return services.brief_issue(actor=world.district_office, district=world.district, day=DAY, again=True, via=COMMAND).number

    outs = together(generate, generate, generate)
    assert all("error" not in o for o in outs), outs
    start = 1 if first_ever else 2
    assert sorted(o["value"] for o in outs) == [start, start + 1, start + 2]
    assert sorted(Brief.objects.values_list("number", flat=True)) == list(range(1, start + 3))
    assert BriefCounter.objects.get(district=world.district).last_number == start + 2


def test_a_submission_raced_by_its_own_retry_is_stored_once(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 9))
    uid = uuid.uuid4()

    def send():
        r = services.daily_report_submit(actor=world.grid_worker_a, template=t, unit=units["a"], day=DAY, uid=uid,
                                         values={"new_key_persons": 0, "passages": 0, "visited": 3}, via=COMMAND)
        return r.pk, r.created

    outs = together(send, send)
    assert all("error" not in o for o in outs), outs
    assert {o["value"][0] for o in outs} == {DailyReport.objects.get().pk}
    assert sorted(o["value"][1] for o in outs) == [False, True]
    assert AuditEntry.objects.filter(object_type="daily_report").count() == 1


def test_two_different_submissions_at_once_one_is_already_reported(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 9))

    def send(zero):
        return lambda: services.daily_report_submit(actor=world.grid_worker_a, template=t, unit=units["a"], day=DAY, uid=uuid.uuid4(),
                                                    values=None if zero else {"new_key_persons": 0, "passages": 0, "visited": 3},
                                                    zero=zero, via=COMMAND).pk

    outs = together(send(True), send(False))
    errors = [o["error"] for o in outs if "error" in o]
    assert len(errors) == 1 and isinstance(errors[0], DomainError) and errors[0].code == "already_reported", outs
    assert DailyReport.objects.count() == 1


def test_two_workers_delivering_the_same_reminder_send_it_once(world, units, frozen):
    received = []

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            time.sleep(0.5)     # the other worker tries meanwhile
            data = b'{"errcode": 0}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        services.reporting_unit_update(actor=world.district_office, unit=units["a"], head=units["a"].head, webhook_kind="wecom",
                                       webhook_url=f"http://127.0.0.1:{server.server_address[1]}/send", via=COMMAND)
        template(world)
        frozen(local(DAY + dt.timedelta(days=1), 8))
        services.reminders_create(now=local(DAY, 9, 30))
        r = Reminder.objects.get(unit=units["a"], day=DAY)

        def deliver():
            return services.reminder_deliver(reminder_id=r.pk)

        outs = together(deliver, deliver, deliver)
        assert sorted(o.get("value") for o in outs) == [False, False, True], outs
        assert len(received) == 1
        r.refresh_from_db()
        assert (r.delivery, r.attempts) == ("sent", 1)
    finally:
        server.shutdown()
        server.server_close()


def test_two_reminder_runs_at_once_remind_each_unit_once(world, units, frozen):
    template(world)
    frozen(local(DAY, 9, 30))
    outs = together(services.reminders_create, services.reminders_create, services.reminders_create)
    assert all("error" not in o for o in outs), outs
    assert Reminder.objects.filter(day=DAY).count() == 2
    assert sorted(Reminder.objects.filter(day=DAY).values_list("unit__name", flat=True)) == ["东风社区", "西湖社区"]
