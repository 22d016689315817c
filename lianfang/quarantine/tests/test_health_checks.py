"""Health checks as the doctor at the door records them: idempotent submissions, fever and
symptom alerts, temperatures typed wrong, times outside the period."""

import datetime as dt
import uuid

import pytest

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError
from lianfang.core.models import AuditEntry
from lianfang.quarantine import selectors, services
from lianfang.quarantine.models import Alert, HealthCheck, QuarantineOrder

from .factories import DAY, at, check, watch  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(world, frozen):
    frozen(at(DAY, 6, 30))
    order = watch(world, "a", days=3)
    frozen(at(DAY, 8))
    return order


def record(order, actor, uid, temperature="36.5", **kw):
    return services.health_check_record(actor=actor, order=order, uid=uid, temperature=temperature, via=COMMAND, **kw)


# --- idempotency --------------------------------------------------------------------------------

def test_it_records_a_check_once_per_uid(world, order):
    uid = uuid.uuid4()
    first, created = record(order, world.doctor_a, uid, "36.6")
    again, created_again = record(order, world.doctor_a, uid, "36.6")
    assert created and not created_again and again.pk == first.pk
    assert HealthCheck.objects.filter(order=order).count() == 1
    assert AuditEntry.objects.filter(object_type="health_check").count() == 1


def test_a_retried_fever_check_raises_one_alert(world, order):
    uid = uuid.uuid4()
    record(order, world.doctor_a, uid, "38.0")
    record(order, world.doctor_a, uid, "38.0")
    assert Alert.objects.filter(order=order).count() == 1


def test_it_refuses_a_uid_used_for_another_person(world, order):
    other = watch(world, "b")
    uid = uuid.uuid4()
    record(order, world.district_office, uid)
    with pytest.raises(DomainError) as e:
        record(other, world.district_office, uid)
    assert e.value.code == "uid_conflict"
    assert not HealthCheck.objects.filter(order=other).exists()


def test_it_needs_a_uid(world, order):
    with pytest.raises(DomainError) as e:
        record(order, world.doctor_a, None)
    assert e.value.field == "uid"


# --- the order's columns ------------------------------------------------------------------------

def test_it_marks_the_morning_and_afternoon_as_checked(world, order, frozen):
    check(order, world.doctor_a, "36.4")
    order.refresh_from_db()
    assert (order.morning_checked_on, order.afternoon_checked_on) == (DAY, None)
    assert (str(order.last_temperature), order.last_checked_at) == ("36.4", at(DAY, 8))
    frozen(at(DAY, 15))
    check(order, world.doctor_a, "36.7")
    order.refresh_from_db()
    assert (order.morning_checked_on, order.afternoon_checked_on) == (DAY, DAY)
    assert str(order.last_temperature) == "36.7"


def test_a_check_after_the_afternoon_window_is_the_afternoon_check(world, order, frozen):
    frozen(at(DAY, 20))
    hc, _ = check(order, world.doctor_a)
    assert hc.slot == "afternoon"
    order.refresh_from_db()
    assert (order.morning_checked_on, order.afternoon_checked_on) == (None, DAY)


def test_a_late_entry_does_not_turn_back_the_last_temperature(world, order, frozen):
    frozen(at(DAY + dt.timedelta(days=1), 8))
    check(order, world.doctor_a, "36.8")
    check(order, world.doctor_a, "37.0", checked_at=at(DAY, 15))  # yesterday's afternoon, entered late
    order.refresh_from_db()
    assert str(order.last_temperature) == "36.8"
    assert (order.morning_checked_on, order.afternoon_checked_on) == (DAY + dt.timedelta(days=1), DAY)


def test_the_explicit_slot_wins(world, order):
    hc, _ = check(order, world.doctor_a, slot="afternoon")
    assert hc.slot == "afternoon"
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a, slot="evening")
    assert e.value.field == "slot"


# --- alerts -------------------------------------------------------------------------------------

def test_it_raises_a_fever_alert_at_37_3(world, order):
    hc, _ = check(order, world.doctor_a, "37.3")
    assert hc.is_abnormal
    alert = Alert.objects.get(order=order)
    assert (alert.kind, alert.status, alert.health_check_id, alert.raised_at) == ("fever", "open", hc.pk, at(DAY, 8))
    assert "37.3" in alert.detail
    # Seen at once by the cadres, the street and the district office.
    for actor in (world.doctor_a, world.street_officer_a, world.district_office):
        assert [a.pk for a in selectors.alert_list(actor=actor, status="open")] == [alert.pk]
        assert selectors.alert_open_count(actor=actor) == 1
    assert selectors.alert_open_count(actor=world.street_officer_b) == 0


def test_it_raises_no_alert_at_37_2(world, order):
    hc, _ = check(order, world.doctor_a, "37.2")
    assert not hc.is_abnormal
    assert not Alert.objects.exists()


def test_a_symptom_alone_raises_a_symptom_alert(world, order):
    check(order, world.doctor_a, "36.5", symptoms=["cough"])
    alert = Alert.objects.get(order=order)
    assert alert.kind == "symptom" and "Cough" in alert.detail


def test_fever_with_symptoms_raises_one_fever_alert(world, order):
    check(order, world.doctor_a, "38.1", symptoms=["cough", "fatigue"])
    assert list(Alert.objects.values_list("kind", flat=True)) == ["fever"]


def test_it_refuses_unknown_symptoms_and_an_undescribed_other(world, order):
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a, symptoms=["headache"])
    assert e.value.field == "symptoms"
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a, symptoms=["other"])
    assert e.value.field == "symptom_note"
    hc, _ = check(order, world.doctor_a, symptoms=["other"], symptom_note="头痛")
    assert hc.symptoms == ["other"] and hc.symptom_note == "头痛"


# --- bad temperatures ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw,hint", [("365", "36.5"), ("3.65", "36.5"), ("372", "37.2"), ("abc", "36.5"), ("50", "34.0"),
                                      ("33.9", "34.0"), ("43.1", "43.0"), ("NaN", "36.5")])
def test_it_refuses_bad_temperatures_with_a_hint(world, order, raw, hint):
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a, raw)
    assert e.value.field == "temperature"
    assert hint in str(e.value.message)
    assert not HealthCheck.objects.exists()


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_it_asks_for_a_missing_temperature(world, order, raw):
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a, raw)
    assert e.value.field == "temperature"
    assert not HealthCheck.objects.exists()


@pytest.mark.parametrize("raw,stored", [("36,5", "36.5"), ("36.5℃", "36.5"), (" 37 ", "37.0"), ("34.0", "34.0"), ("43.0", "43.0")])
def test_it_accepts_temperatures_as_typed_on_a_phone(world, order, raw, stored):
    hc, _ = check(order, world.doctor_a, raw)
    hc.refresh_from_db()
    assert str(hc.temperature) == stored


# --- times --------------------------------------------------------------------------------------

def test_it_refuses_a_check_in_the_future(world, order):
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a, checked_at=at(DAY, 8, 11))
    assert e.value.field == "checked_at"
    hc, _ = check(order, world.doctor_a, checked_at=at(DAY, 8, 5))  # a phone clock a little fast
    assert hc.checked_at == at(DAY, 8, 5)


def test_it_refuses_a_check_outside_the_period(world, order, frozen):
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a, checked_at=at(DAY - dt.timedelta(days=1), 15))
    assert e.value.field == "checked_at"
    frozen(at(DAY + dt.timedelta(days=3), 8))  # the period was DAY .. DAY+2
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a)
    assert e.value.field == "checked_at"
    assert not HealthCheck.objects.exists()


def test_the_last_day_of_the_period_takes_checks(world, order, frozen):
    frozen(at(DAY + dt.timedelta(days=2), 17))
    hc, created = check(order, world.doctor_a)
    assert created and hc.day == DAY + dt.timedelta(days=2)


def test_it_refuses_a_check_for_an_ended_order(world, order):
    services.quarantine_order_end(actor=world.street_officer_a, order=order, status="cancelled", reason="录入错误", via=COMMAND)
    with pytest.raises(DomainError) as e:
        check(order, world.doctor_a)
    assert e.value.code == "ended"


def test_a_late_check_closes_the_missed_check_alert(world, order, frozen):
    frozen(at(DAY, 11, 5))
    assert services.overdue_escalate() == 1
    alert = Alert.objects.get(kind="overdue")
    frozen(at(DAY, 11, 40))
    check(order, world.doctor_a)
    alert.refresh_from_db()
    assert (alert.status, alert.disposition, alert.closed_at) == ("closed", "found", at(DAY, 11, 40))
    assert "11:40" in alert.outcome


def test_a_late_check_closes_only_its_own_window(world, order, frozen):
    frozen(at(DAY + dt.timedelta(days=1), 0, 30))
    assert services.overdue_escalate() == 2  # yesterday's morning and afternoon
    check(order, world.doctor_a, checked_at=at(DAY, 17, 50))  # yesterday's afternoon, entered now
    states = dict(Alert.objects.filter(kind="overdue").values_list("key", "status"))
    assert states == {f"overdue:{order.pk}:{DAY}:morning": "open", f"overdue:{order.pk}:{DAY}:afternoon": "closed"}
    order.refresh_from_db()
    assert order.afternoon_checked_on == DAY


def test_an_acknowledged_missed_check_alert_is_closed_by_the_late_check_too(world, order, frozen):
    frozen(at(DAY, 11, 5))
    services.overdue_escalate()
    alert = Alert.objects.get(kind="overdue")
    services.alert_acknowledge(actor=world.street_officer_a, alert=alert, via=COMMAND)
    frozen(at(DAY, 12))
    check(order, world.doctor_a)
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_the_checks_of_an_order_come_newest_first(world, order, frozen):
    first, _ = check(order, world.doctor_a)
    frozen(at(DAY, 15))
    second, _ = check(order, world.doctor_a)
    assert [c.pk for c in selectors.order_checks(order=QuarantineOrder.objects.get(pk=order.pk))] == [second.pk, first.pk]
