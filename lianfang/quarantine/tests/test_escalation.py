"""Missed checks escalate to the cadres, the community and the district; alerts are
acknowledged and closed with what was done."""

import datetime as dt

import pytest

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.quarantine import selectors, services
from lianfang.quarantine.models import Alert, QuarantinePolicy

from .factories import DAY, at, check, person, watch  # noqa: F401

pytestmark = pytest.mark.django_db

NEXT = DAY + dt.timedelta(days=1)
PREV = DAY - dt.timedelta(days=1)


def ongoing(world, key="a", **kw):
    """An order entered yesterday evening, after the windows closed: it owes from today."""
    saved = clock.now()
    clock.set_now(at(PREV, 19))
    order = watch(world, key, start=PREV, **kw)
    clock.set_now(saved)
    return order


def overdue_keys():
    return sorted(Alert.objects.filter(kind="overdue").values_list("key", flat=True))


def key(order, day, slot):
    return f"overdue:{order.pk}:{day}:{slot}"


# --- overdue_escalate ---------------------------------------------------------------------------

def test_it_raises_nothing_while_the_window_is_open(world, frozen):
    frozen(at(DAY, 8))
    ongoing(world)
    for moment in (at(DAY, 6), at(DAY, 10, 59), at(DAY, 10, 59, )):
        frozen(moment)
        services.overdue_escalate()
    assert not Alert.objects.exists()


def test_it_raises_one_alert_when_the_morning_window_closes_unchecked(world, frozen):
    frozen(at(DAY, 8))
    order = ongoing(world)
    frozen(at(DAY, 11))
    services.overdue_escalate()
    alert = Alert.objects.get(kind="overdue")
    assert alert.key == key(order, DAY, "morning")
    assert (alert.status, alert.raised_at, alert.order_id, alert.key_person_id) == ("open", at(DAY, 11), order.pk, order.key_person_id)
    assert "11:00" in alert.detail
    for actor in (world.doctor_a, world.street_officer_a, world.grid_worker_a, world.district_office):
        assert [a.pk for a in selectors.alert_list(actor=actor, kind="overdue")] == [alert.pk]
    assert list(selectors.alert_list(actor=world.street_officer_b)) == []


def test_it_is_idempotent(world, frozen):
    frozen(at(DAY, 8))
    order = ongoing(world)
    frozen(at(DAY, 11, 5))
    services.overdue_escalate()
    services.overdue_escalate()
    frozen(at(DAY, 11, 10))
    services.overdue_escalate()
    assert overdue_keys() == [key(order, DAY, "morning")]


def test_it_reports_how_many_it_raised(world, frozen):
    frozen(at(DAY, 8))
    ongoing(world)
    frozen(at(DAY, 11, 5))
    assert services.overdue_escalate() == 1
    assert services.overdue_escalate() == 0


def test_it_goes_through_each_district_once(world, frozen):
    frozen(at(DAY, 8))
    ongoing(world)
    frozen(at(DAY, 11, 5))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as one:
        services.overdue_escalate()
    Alert.objects.all().delete()
    frozen(at(DAY, 8))
    for i in range(5):
        ongoing(world, resident=person(world, "a", f"人{i}"))
    frozen(at(DAY, 11, 5))
    with CaptureQueriesContext(connection) as six:
        services.overdue_escalate()
    assert Alert.objects.count() == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_it_raises_one_alert_per_missed_window(world, frozen):
    frozen(at(DAY, 8))
    order = ongoing(world)
    frozen(at(DAY, 12))
    services.overdue_escalate()
    assert overdue_keys() == [key(order, DAY, "morning")]
    frozen(at(DAY, 18, 1))
    services.overdue_escalate()
    assert overdue_keys() == sorted([key(order, DAY, "morning"), key(order, DAY, "afternoon")])


def test_it_raises_nothing_for_checked_windows(world, frozen):
    frozen(at(DAY, 8))
    order = ongoing(world)
    check(order, world.doctor_a)
    frozen(at(DAY, 15))
    check(order, world.doctor_a)
    frozen(at(DAY, 23))
    services.overdue_escalate()
    assert not Alert.objects.exists()
    assert not Alert.objects.exists()


def test_it_catches_yesterdays_afternoon_after_midnight(world, frozen):
    frozen(at(DAY, 8))
    order = ongoing(world)
    check(order, world.doctor_a)
    frozen(at(NEXT, 0, 5))
    services.overdue_escalate()
    assert overdue_keys() == [key(order, DAY, "afternoon")]
    assert Alert.objects.get().raised_at == at(DAY, 18)


def test_it_catches_yesterdays_missed_morning_after_todays_morning_check(world, frozen):
    frozen(at(DAY, 8))
    order = ongoing(world)
    frozen(at(DAY, 15))
    check(order, world.doctor_a)  # the morning missed, the afternoon done
    frozen(at(NEXT, 7, 30))  # the escalation job was down; it runs again after today's morning check
    check(order, world.doctor_a)
    services.overdue_escalate()
    assert key(order, DAY, "morning") in overdue_keys()


def test_an_order_ending_today_is_still_escalated_for_today_after_midnight(world, frozen):
    frozen(at(PREV, 19))
    order = watch(world, "a", start=PREV, days=2)  # last day: DAY
    frozen(at(DAY, 8))
    check(order, world.doctor_a)
    frozen(at(NEXT, 11, 30))
    services.overdue_escalate()
    assert overdue_keys() == [key(order, DAY, "afternoon")]


def test_it_raises_nothing_for_an_order_entered_after_the_window(world, frozen):
    frozen(at(DAY, 12))
    order = watch(world, "a")
    frozen(at(DAY, 19))
    services.overdue_escalate()
    assert overdue_keys() == [key(order, DAY, "afternoon")]


def test_it_raises_nothing_for_an_order_starting_tomorrow_or_ended(world, frozen):
    frozen(at(DAY, 9))
    watch(world, "a", start=NEXT)
    ended = watch(world, "b")
    services.quarantine_order_end(actor=world.street_officer_b, order=ended, status="cancelled", reason="录入错误", via=COMMAND)
    frozen(at(DAY, 23))
    services.overdue_escalate()
    assert not Alert.objects.exists()


def test_it_follows_the_district_policy(world, frozen):
    QuarantinePolicy.objects.create(district=world.district, morning_start=dt.time(6), morning_end=dt.time(9),
                                    afternoon_start=dt.time(16), afternoon_end=dt.time(20))
    frozen(at(PREV, 21))
    order = watch(world, "a", start=PREV)
    frozen(at(DAY, 9, 1))
    services.overdue_escalate()
    frozen(at(DAY, 19, 59))
    services.overdue_escalate()
    assert overdue_keys() == [key(order, DAY, "morning")]


def test_it_raises_for_every_order_that_missed(world, frozen):
    frozen(at(DAY, 8))
    orders = [ongoing(world, resident=person(world, "a", f"人{i}")) for i in range(3)] + [ongoing(world, "b")]
    check(orders[0], world.doctor_a)
    frozen(at(DAY, 11, 1))
    services.overdue_escalate()
    assert overdue_keys() == sorted(key(o, DAY, "morning") for o in orders[1:])


# --- acknowledge and close ----------------------------------------------------------------------

@pytest.fixture
def fever(world, frozen):
    frozen(at(DAY, 8))
    order = ongoing(world)
    check(order, world.doctor_a, "38.2")
    return Alert.objects.get(order=order, kind="fever")


def test_an_alert_is_acknowledged_with_who_and_when(world, fever, frozen):
    frozen(at(DAY, 8, 20))
    alert = services.alert_acknowledge(actor=world.doctor_a, alert=fever, via=COMMAND)
    assert (alert.status, alert.acknowledged_by, alert.acknowledged_at) == ("acknowledged", world.doctor_a, at(DAY, 8, 20))
    with pytest.raises(DomainError) as e:
        services.alert_acknowledge(actor=world.street_officer_a, alert=alert, via=COMMAND)
    assert e.value.code == "bad_transition"
    assert selectors.alert_open_count(actor=world.district_office) == 0
    assert [a.pk for a in selectors.alert_list(actor=world.district_office, status="unclosed")] == [alert.pk]


def test_an_alert_closes_with_a_disposition(world, fever, frozen):
    frozen(at(DAY, 8, 20))
    services.alert_acknowledge(actor=world.doctor_a, alert=fever, via=COMMAND)
    frozen(at(DAY, 10))
    alert = services.alert_close(actor=world.street_officer_a, alert=fever, disposition="fever_clinic", outcome=" 送区医院发热门诊 ",
                                 via=COMMAND)
    alert.refresh_from_db()
    assert (alert.status, alert.disposition, alert.outcome) == ("closed", "fever_clinic", "送区医院发热门诊")
    assert (alert.closed_by, alert.closed_at) == (world.street_officer_a, at(DAY, 10))
    assert (alert.acknowledged_by, alert.acknowledged_at) == (world.doctor_a, at(DAY, 8, 20))
    assert list(selectors.alert_list(actor=world.district_office, status="unclosed")) == []


def test_closing_an_open_alert_acknowledges_it_at_the_same_moment(world, fever, frozen):
    frozen(at(DAY, 9))
    alert = services.alert_close(actor=world.doctor_a, alert=fever, disposition="ruled_out", via=COMMAND)
    assert (alert.acknowledged_at, alert.closed_at, alert.acknowledged_by) == (at(DAY, 9), at(DAY, 9), world.doctor_a)


@pytest.mark.parametrize("disposition,outcome,field", [("", "x", "disposition"), ("nonsense", "x", "disposition"),
                                                       ("other", "", "outcome"), ("other", "  ", "outcome")])
def test_closing_needs_what_was_done(world, fever, disposition, outcome, field):
    with pytest.raises(DomainError) as e:
        services.alert_close(actor=world.doctor_a, alert=fever, disposition=disposition, outcome=outcome, via=COMMAND)
    assert e.value.field == field
    fever.refresh_from_db()
    assert fever.status == "open"


def test_a_closed_alert_stays_closed(world, fever):
    services.alert_close(actor=world.doctor_a, alert=fever, disposition="tested", outcome="核酸阴性", via=COMMAND)
    for call in (lambda: services.alert_close(actor=world.doctor_a, alert=fever, disposition="ruled_out", via=COMMAND),
                 lambda: services.alert_acknowledge(actor=world.doctor_a, alert=fever, via=COMMAND)):
        with pytest.raises(DomainError) as e:
            call()
        assert e.value.code == "bad_transition"
    fever.refresh_from_db()
    assert (fever.disposition, fever.outcome) == ("tested", "核酸阴性")


def test_roles_without_alert_handling_cannot_touch_alerts(world, fever):
    for actor in (world.checkpoint_staff_a, world.supervision):
        with pytest.raises(PermissionDenied):
            services.alert_acknowledge(actor=actor, alert=fever, via=COMMAND)
        with pytest.raises(PermissionDenied):
            services.alert_close(actor=actor, alert=fever, disposition="ruled_out", via=COMMAND)
