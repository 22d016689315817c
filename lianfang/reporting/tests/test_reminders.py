"""Reminders, by the tester: when they are created, that they are made once, and the robot
webhook against a real local receiver that fails, then answers."""

import datetime as dt
import http.server
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command

from lianfang.core.audit import COMMAND

from .. import services
from ..models import DailyReport, Reminder, ReportingUnit, ReportTemplate
from ..services import BACKOFF, MAX_ATTEMPTS
from .factories import DAY, local, submit
from .factories import template as _template

NEXT = DAY + dt.timedelta(days=1)
BEFORE = DAY - dt.timedelta(days=1)


def template(world, **kw):
    """The factories' template, with the day before DAY reported by every unit, so only DAY's
    reminders are in play (see test_no_reminder_for_a_day_before_the_template_existed)."""
    t = _template(world, **kw)
    for unit in ReportingUnit.objects.all():
        DailyReport.objects.create(template=t, unit=unit, org_path=unit.org_path, day=BEFORE, is_zero=True,
                                   submitted_at=local(BEFORE, 9))
    return t


class Receiver:
    """A robot on 127.0.0.1: answers each POST with the next (status, body) of `script`, then
    the last one forever; keeps what it received."""

    def __init__(self, script):
        self.script, self.received = list(script), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"path": self.path, "type": self.headers.get("Content-Type"), "json": json.loads(body)})
                status, answer = receiver.script.pop(0) if len(receiver.script) > 1 else receiver.script[0]
                data = json.dumps(answer).encode() if isinstance(answer, dict) else answer.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*script):
        r = Receiver(script or [(200, {"errcode": 0, "errmsg": "ok"})])
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def robot(world, unit, url, kind="wecom"):
    return services.reporting_unit_update(actor=world.district_office, unit=unit, head_name="张主任", head_phone="13900001111",
                                          duty_phone="13900002222", head=unit.head, webhook_kind=kind, webhook_url=url, via=COMMAND)


def reminders():
    return sorted((r.unit.name, r.day, r.kind) for r in Reminder.objects.select_related("unit"))


# --- when --------------------------------------------------------------------------------

def test_before_the_deadline_within_remind_before_and_after_it_past_remind_after(world, units, frozen):
    t = template(world)     # 10:00, remind 60 min before, 30 min after
    assert services.reminders_create(now=local(DAY, 8, 59, 59)) == 0
    assert services.reminders_create(now=local(DAY, 9)) == 2
    assert reminders() == [("东风社区", DAY, "before"), ("西湖社区", DAY, "before")]
    assert services.reminders_create(now=local(DAY, 9, 59, 59)) == 0       # once
    assert services.reminders_create(now=local(DAY, 10, 29, 59)) == 0      # between: nothing
    frozen(local(DAY, 10, 15))
    submit(world, t, units["a"])                                          # late, but in
    assert services.reminders_create(now=local(DAY, 10, 30)) == 1
    assert Reminder.objects.get(kind="after").unit == units["b"]
    assert services.reminders_create(now=local(DAY, 10, 31)) == 0
    assert Reminder.objects.count() == 3
    r = Reminder.objects.get(kind="before", unit=units["b"])
    assert "西湖社区" in r.text and t.name in r.text and "03-04 10:00" in r.text and r.delivery == "none" and r.next_attempt_at is None


def test_a_unit_that_reported_is_never_reminded(world, units, frozen):
    t = template(world)
    units["b"].reporters.add(world.grid_worker_a)
    frozen(local(DAY, 8))
    submit(world, t, units["a"])
    submit(world, t, units["b"], values=None, zero=True)
    for moment in (local(DAY, 9, 30), local(DAY, 11), local(NEXT, 9, 30)):
        if moment.date() == NEXT:
            break
        assert services.reminders_create(now=moment) == 0
    assert not Reminder.objects.exists()


def test_a_next_morning_deadline_reminds_for_yesterday(world, units, frozen):
    t = template(world, deadline=dt.time(9), next_day=True)
    assert services.reminders_create(now=local(NEXT, 8, 30)) == 2
    assert {r.day for r in Reminder.objects.all()} == {DAY}
    assert services.reminders_create(now=local(NEXT, 9, 30)) == 2
    assert sorted(Reminder.objects.values_list("kind", flat=True)) == ["after", "after", "before", "before"]
    assert "03-05 09:00" in Reminder.objects.filter(kind="before").first().text
    del t


def test_not_for_reports_more_than_a_day_overdue(world, units, frozen):
    template(world)
    # DAY's deadline 10:00; a day later is 10:00 the next day.
    assert services.reminders_create(now=local(NEXT, 9, 59, 59)) == 4      # DAY overdue (after) + NEXT before
    assert set(Reminder.objects.values_list("day", "kind")) == {(DAY, "after"), (NEXT, "before")}
    Reminder.objects.all().delete()
    assert services.reminders_create(now=local(NEXT, 10, 0)) == 0         # DAY > 1 day overdue; NEXT: not yet after
    assert services.reminders_create(now=local(DAY + dt.timedelta(days=3), 10, 45)) == 2
    assert set(Reminder.objects.values_list("day", flat=True)) == {DAY + dt.timedelta(days=3)}


def test_not_for_inactive_units_or_templates_or_kinds_that_do_not_report(world, units, frozen):
    t = template(world)
    units["b"].is_active = False
    units["b"].save()
    assert services.reminders_create(now=local(DAY, 9)) == 1
    assert reminders() == [("东风社区", DAY, "before")]
    t.is_active = False
    t.save()
    assert services.reminders_create(now=local(DAY, 10, 30)) == 0
    t.is_active, t.unit_kinds = True, ["street"]
    t.save()
    assert services.reminders_create(now=local(DAY, 10, 30)) == 2
    assert {r.unit.kind for r in Reminder.objects.filter(kind="after")} == {"street"}


def test_remind_before_zero_means_no_early_reminder(world, units, frozen):
    t = template(world)
    t.remind_before = 0
    t.save()
    assert services.reminders_create(now=local(DAY, 9, 59)) == 0


def test_repeated_runs_make_each_reminder_once(world, units, frozen):
    template(world)
    for minute in range(0, 60, 7):
        services.reminders_create(now=local(DAY, 9, minute))
    assert Reminder.objects.count() == 2


# --- the robot ---------------------------------------------------------------------------

def test_a_failing_robot_is_retried_with_backoff_until_it_takes_the_message(world, units, frozen, receiver):
    rx = receiver((500, "busy"), (500, "busy"), (200, {"errcode": 0, "errmsg": "ok"}))
    robot(world, units["b"], rx.url)
    template(world)
    start = local(DAY, 9)
    frozen(start)
    assert services.reminders_create() == 2
    r = Reminder.objects.get(unit=units["b"])
    assert (r.delivery, r.next_attempt_at, r.attempts) == ("pending", start, 0)
    assert Reminder.objects.get(unit=units["a"]).delivery == "none"
    assert services.reminders_to_deliver() == [r.pk]

    assert services.reminder_deliver(reminder_id=r.pk) is False
    r.refresh_from_db()
    assert (r.attempts, r.delivery, r.last_error, r.next_attempt_at) == (1, "pending", "HTTP 500", start + BACKOFF[0])
    frozen(start + BACKOFF[0] - dt.timedelta(seconds=1))
    assert services.reminders_to_deliver() == [] and services.reminder_deliver(reminder_id=r.pk) is False
    assert Reminder.objects.get(pk=r.pk).attempts == 1 and len(rx.received) == 1

    second = start + BACKOFF[0]
    frozen(second)
    assert services.reminder_deliver(reminder_id=r.pk) is False
    r.refresh_from_db()
    assert (r.attempts, r.last_error, r.next_attempt_at) == (2, "HTTP 500", second + BACKOFF[1])

    third = second + BACKOFF[1]
    frozen(third)
    assert services.reminder_deliver(reminder_id=r.pk) is True
    r.refresh_from_db()
    assert (r.attempts, r.delivery, r.delivered_at, r.next_attempt_at) == (3, "sent", third, None)
    assert services.reminder_deliver(reminder_id=r.pk) is False and len(rx.received) == 3

    body = rx.received[-1]
    assert body["path"] == "/cgi-bin/webhook/send?key=abc" and body["type"].startswith("application/json")
    assert body["json"]["msgtype"] == "text"
    assert "西湖社区" in body["json"]["text"]["content"] and body["json"]["text"]["content"] == r.text
    assert body["json"]["text"]["mentioned_mobile_list"] == ["13900001111", "13900002222"]
    assert rx.received[0]["json"] == body["json"]


def test_dingtalk_names_the_people_in_at_mobiles(world, units, frozen, receiver):
    rx = receiver()
    robot(world, units["a"], rx.url, kind="dingtalk")
    template(world)
    frozen(local(DAY, 10, 30))
    services.reminders_create()
    r = Reminder.objects.get(unit=units["a"])
    assert services.reminder_deliver(reminder_id=r.pk) is True
    sent = rx.received[0]["json"]
    assert sent["msgtype"] == "text" and "东风社区" in sent["text"]["content"]
    assert sent["at"] == {"atMobiles": ["13900001111", "13900002222"], "isAtAll": False}


def test_an_errcode_in_a_200_answer_is_a_failure_and_five_failures_give_up(world, units, frozen, receiver):
    rx = receiver((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    robot(world, units["a"], rx.url)
    template(world)
    moment = local(DAY, 9)
    frozen(moment)
    services.reminders_create()
    r = Reminder.objects.get(unit=units["a"])
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert services.reminder_deliver(reminder_id=r.pk) is False
        r.refresh_from_db()
        assert r.attempts == attempt and "93000" in r.last_error
        if attempt < MAX_ATTEMPTS:
            assert r.delivery == "pending"
            waits.append(r.next_attempt_at - moment)
            moment = r.next_attempt_at
            frozen(moment)
    assert waits == BACKOFF
    assert (r.delivery, r.next_attempt_at, r.delivered_at) == ("failed", None, None)
    frozen(moment + dt.timedelta(days=1))
    assert services.reminders_to_deliver() == [] and services.reminder_deliver(reminder_id=r.pk) is False
    assert len(rx.received) == MAX_ATTEMPTS


def test_an_unreachable_robot_is_a_failure_with_an_error(world, units, frozen, receiver):
    rx = receiver()
    url = rx.url
    rx.close()
    robot(world, units["a"], url)
    template(world)
    frozen(local(DAY, 9))
    services.reminders_create()
    r = Reminder.objects.get(unit=units["a"])
    assert services.reminder_deliver(reminder_id=r.pk) is False
    r.refresh_from_db()
    assert r.attempts == 1 and r.delivery == "pending" and r.last_error


def test_a_robot_removed_meanwhile_fails_the_reminder_at_once(world, units, frozen, receiver):
    rx = receiver()
    robot(world, units["a"], rx.url)
    template(world)
    frozen(local(DAY, 9))
    services.reminders_create()
    robot(world, units["a"], "", kind="")
    r = Reminder.objects.get(unit=units["a"])
    assert services.reminder_deliver(reminder_id=r.pk) is False
    r.refresh_from_db()
    assert r.delivery == "failed" and r.last_error and rx.received == []


def test_a_queued_reminder_is_not_sent_once_the_unit_has_reported(world, units, frozen, receiver):
    rx = receiver((500, "busy"), (200, {"errcode": 0}))
    robot(world, units["a"], rx.url)
    t = template(world)
    frozen(local(DAY, 9))
    services.reminders_create()
    r = Reminder.objects.get(unit=units["a"])
    services.reminder_deliver(reminder_id=r.pk)          # the robot is busy
    frozen(local(DAY, 9, 0, 30))
    submit(world, t, units["a"])                           # the unit reports meanwhile
    frozen(local(DAY, 9, 1))
    services.reminder_deliver(reminder_id=r.pk)
    assert len(rx.received) == 1, "the retry told the group the report had not been received"
    r.refresh_from_db()
    assert r.delivery == Reminder.Delivery.CANCELLED and r.next_attempt_at is None
    assert services.reminders_to_deliver(now=local(DAY, 12)) == []


def test_the_remind_command_creates_and_delivers_through_the_task_backend(world, units, frozen, receiver, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    rx = receiver((500, "busy"), (200, {"errcode": 0}))
    robot(world, units["b"], rx.url)
    template(world)
    frozen(local(DAY, 10, 45))
    out = StringIO()
    call_command("reporting_remind", stdout=out)
    assert "2 reminders, 1 robot messages queued." in out.getvalue()
    r = Reminder.objects.get(unit=units["b"])
    assert (r.kind, r.attempts, r.delivery, r.last_error) == ("after", 1, "pending", "HTTP 500")
    out = StringIO()
    call_command("reporting_remind", stdout=out)          # too early for the retry
    assert "0 reminders, 0 robot messages queued." in out.getvalue()
    frozen(local(DAY, 10, 46))
    call_command("reporting_remind", stdout=StringIO())
    r.refresh_from_db()
    assert (r.attempts, r.delivery) == (2, "sent") and len(rx.received) == 2
    assert "西湖社区" in rx.received[1]["json"]["text"]["content"]
    assert Reminder.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_tick_runs_the_remind_command(world, units, frozen, settings):
    """Transactional: tick calls close_old_connections(), which on PostgreSQL closes a connection
    left inside a test's transaction (the core test of tick fails there for that reason)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert "reporting_remind" in settings.PERIODIC_COMMANDS
    template(world)
    frozen(local(DAY, 9, 30))
    call_command("tick", "--once", stdout=StringIO())
    assert Reminder.objects.count() == 2


def test_reminders_of_another_districts_template_go_to_that_districts_units_only(world, units, frozen):
    from lianfang.core.models import Level
    from lianfang.core.tests.factories import make_org

    other = make_org(name="别区", level=Level.DISTRICT, code="110106")
    make_org(name="别街道", level=Level.STREET, parent=other)
    services.reporting_units_sync(district=other)
    ReportTemplate.objects.create(district=other, org_path=other.path, name="别区日报", unit_kinds=["street"], deadline=dt.time(10))
    template(world)
    services.reminders_create(now=local(DAY, 9))
    assert Reminder.objects.filter(day=DAY).count() == 3
    assert {(r.unit.name, r.template.name) for r in Reminder.objects.filter(template__district=other)} == {("别街道", "别区日报")}
    assert {r.unit.name for r in Reminder.objects.filter(template__district=world.district)} == {"东风社区", "西湖社区"}


def test_no_reminder_for_a_day_before_the_template_existed(world, units, frozen):
    frozen(local(DAY, 8))
    t = services.report_template_save(actor=world.district_office, district=world.district, name="新日报", unit_kinds=["community"],
                                      deadline=dt.time(10), fields=[{"key": "n", "label": "数"}], via=COMMAND)
    assert t.created_at == local(DAY, 8)
    services.reminders_create(now=local(DAY, 9))
    assert set(Reminder.objects.values_list("day", flat=True)) == {DAY}, "units told yesterday's report is overdue"


def test_the_matrix_does_not_expect_days_before_the_template_existed(world, units, frozen):
    from .. import selectors

    frozen(local(DAY, 8))
    t = services.report_template_save(actor=world.district_office, district=world.district, name="新日报", unit_kinds=["community"],
                                      deadline=dt.time(10), fields=[{"key": "n", "label": "数"}], via=COMMAND)
    m = selectors.completeness_matrix(actor=world.district_office, template=t, since=DAY - dt.timedelta(days=6), until=DAY)
    assert m.expected == 0 and m.reporting_rate is None


def test_a_late_night_next_day_deadline_still_gets_its_after_reminder(world, units, frozen):
    t = template(world, deadline=dt.time(23, 45), next_day=True)    # DAY's report due NEXT 23:45, reminder 30 min later
    assert t.deadline_for(DAY) == local(NEXT, 23, 45)
    services.reminders_create(now=local(DAY + dt.timedelta(days=2), 0, 15))
    assert Reminder.objects.filter(day=DAY, kind="after").count() == 2


def test_only_the_district_or_the_units_street_sets_its_robot(world, units):
    from lianfang.core.errors import DomainError, PermissionDenied

    with pytest.raises(PermissionDenied):
        services.reporting_unit_update(actor=world.street_officer_b, unit=units["a"], webhook_kind="wecom",
                                       webhook_url="http://127.0.0.1:9/x", via=COMMAND)
    for kind, url, field in (("wecom", "ftp://x/y", "webhook_url"), ("", "http://127.0.0.1:9/x", "webhook_kind"),
                             ("slack", "http://127.0.0.1:9/x", "webhook_kind")):
        with pytest.raises(DomainError) as e:
            services.reporting_unit_update(actor=world.street_officer_a, unit=units["a"], webhook_kind=kind, webhook_url=url, via=COMMAND)
        assert e.value.field == field
    units["a"].refresh_from_db()
    assert units["a"].webhook_url == ""
