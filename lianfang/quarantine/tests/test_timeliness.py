"""早发现、早报告、早隔离 as numbers: hours from a person being flagged to their first order, and
from a fever or symptom alert to its acknowledgement and its disposition."""

import datetime as dt
import uuid

import pytest

from lianfang.core.audit import COMMAND
from lianfang.quarantine import selectors, services
from lianfang.quarantine.models import Alert

from .factories import DAY, at, check, person, register, start, watch  # noqa: F401

pytestmark = pytest.mark.django_db

PREV = DAY - dt.timedelta(days=1)


def numbers(actor, since=DAY, until=DAY, **kw):
    return selectors.timeliness(actor=actor, since=since, until=until, **kw)


def test_flag_to_isolation_is_the_hours_from_the_flag_to_the_order(world, frozen):
    frozen(at(DAY, 8))
    kp = register(world, "a")
    frozen(at(DAY, 14))
    start(world, kp)
    got = numbers(world.district_office)["flag_to_isolation"]
    assert got == {"n": 1, "median": 6.0, "p90": 6.0, "max": 6.0}


def test_flag_to_isolation_starts_at_the_reported_flag_time(world, frozen):
    frozen(at(DAY, 10))
    kp = register(world, "a", flagged_at=at(PREV, 20))  # the screening visit was last night
    frozen(at(DAY, 11, 30))
    start(world, kp)
    assert numbers(world.district_office)["flag_to_isolation"]["median"] == 15.5


def test_only_the_first_order_of_a_person_counts(world, frozen):
    frozen(at(DAY, 8))
    kp = register(world, "a")
    frozen(at(DAY, 9))
    first = start(world, kp)
    services.quarantine_order_end(actor=world.street_officer_a, order=first, status="transferred", reason="转集中隔离", via=COMMAND)
    frozen(at(DAY, 20))
    start(world, kp)
    got = numbers(world.district_office)["flag_to_isolation"]
    assert (got["n"], got["max"]) == (1, 1.0)


def test_median_p90_and_max_over_several_people(world, frozen):
    hours = [1, 2, 3, 4, 10]
    for i, h in enumerate(hours):
        frozen(at(DAY, 6))
        kp = register(world, "a", resident=person(world, "a", f"人{i}"))
        frozen(at(DAY, 6 + h))
        start(world, kp)
    got = numbers(world.district_office)["flag_to_isolation"]
    assert got == {"n": 5, "median": 3.0, "p90": 10.0, "max": 10.0}


def test_orders_outside_the_dates_are_left_out(world, frozen):
    frozen(at(PREV, 8))
    kp = register(world, "a")
    frozen(at(PREV, 23, 59))
    start(world, kp)
    assert numbers(world.district_office)["flag_to_isolation"]["n"] == 0
    assert numbers(world.district_office, since=PREV, until=PREV)["flag_to_isolation"]["n"] == 1


def test_alert_to_acknowledged_and_to_disposition(world, frozen):
    frozen(at(DAY, 7))
    order = watch(world, "a")
    frozen(at(DAY, 8))
    check(order, world.doctor_a, "38.3")
    alert = Alert.objects.get(order=order)
    frozen(at(DAY, 8, 30))
    services.alert_acknowledge(actor=world.doctor_a, alert=alert, via=COMMAND)
    frozen(at(DAY, 11))
    services.alert_close(actor=world.doctor_a, alert=alert, disposition="fever_clinic", via=COMMAND)
    got = numbers(world.district_office)
    assert got["alert_to_acknowledged"] == {"n": 1, "median": 0.5, "p90": 0.5, "max": 0.5}
    assert got["alert_to_disposition"] == {"n": 1, "median": 3.0, "p90": 3.0, "max": 3.0}
    assert got["alerts_open"] == 0


def test_open_alerts_are_counted_not_timed(world, frozen):
    frozen(at(DAY, 7))
    order = watch(world, "a")
    frozen(at(DAY, 8))
    check(order, world.doctor_a, "36.5", symptoms=["cough"])
    got = numbers(world.district_office)
    assert got["alerts_open"] == 1
    assert got["alert_to_acknowledged"]["n"] == 0 and got["alert_to_disposition"]["n"] == 0


def test_missed_checks_and_absences_are_not_fever_alerts(world, frozen):
    frozen(at(DAY, 6))
    order = watch(world, "a")
    frozen(at(DAY, 11, 30))
    services.overdue_escalate()
    services.spot_check_record(actor=world.police_a, order=order, uid=uuid.uuid4(), result="absent", note="不在家",
                               via=COMMAND)
    assert Alert.objects.filter(kind__in=["overdue", "absent"]).count() == 2
    assert numbers(world.district_office)["alerts_open"] == 0


def test_the_numbers_are_scoped(world, frozen):
    frozen(at(DAY, 7))
    kp = register(world, "a")
    frozen(at(DAY, 8))
    order = start(world, kp)
    check(order, world.street_officer_a, "39.0")
    got = numbers(world.street_officer_b)
    assert (got["flag_to_isolation"]["n"], got["alerts_open"]) == (0, 0)
    got = numbers(world.street_officer_a)
    assert (got["flag_to_isolation"]["n"], got["alerts_open"]) == (1, 1)
    got = numbers(world.district_office, org=world.street_b)
    assert (got["flag_to_isolation"]["n"], got["alerts_open"]) == (0, 0)
