"""Quarantine orders as a street officer lives them: start, period arithmetic, extension,
central rooms, release with conditions, early release, transfer and cancellation."""

import datetime as dt

import pytest

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError
from lianfang.quarantine import selectors, services
from lianfang.quarantine.models import (
    Category,
    KeyPerson,
    KeyPersonEvent,
    OrderExtension,
    OrderKind,
    QuarantineOrder,
    QuarantinePolicy,
)

from .factories import DAY, at, central_room, check, person, register, start, watch  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def morning(frozen):
    frozen(at(DAY, 9))


def release(world, order, **kw):
    return services.quarantine_order_release(actor=world.street_officer_a, order=order, via=COMMAND, **kw)


def checks_through(order, actor, days: int, temperature="36.5"):
    """Both checks of every day from the order's start for `days` days, the clock following."""
    for i in range(days):
        day = order.start_date + dt.timedelta(days=i)
        for hour in (8, 15):
            clock.set_now(at(day, hour))
            check(order, actor, temperature)


# --- start --------------------------------------------------------------------------------------

def test_it_takes_the_default_fourteen_days(world, morning):
    order = watch(world, "a")
    assert order.days == 14
    assert order.start_date == DAY
    assert order.end_date == DAY + dt.timedelta(days=13)


def test_it_takes_the_period_configured_for_the_category(world, morning):
    QuarantinePolicy.objects.create(district=world.district, periods={Category.CONFIRMED_CASE: 21, Category.SECONDARY_CONTACT: 7})
    confirmed = watch(world, "a", category=Category.CONFIRMED_CASE)
    secondary = watch(world, "b", category=Category.SECONDARY_CONTACT)
    close = watch(world, "a", resident=person(world, "a"), category=Category.CLOSE_CONTACT)
    assert (confirmed.days, confirmed.end_date) == (21, DAY + dt.timedelta(days=20))
    assert (secondary.days, secondary.end_date) == (7, DAY + dt.timedelta(days=6))
    assert (close.days, close.end_date) == (14, DAY + dt.timedelta(days=13))


def test_it_takes_the_configured_default_for_unlisted_categories(world, morning):
    QuarantinePolicy.objects.create(district=world.district, default_days=10, periods={Category.CONFIRMED_CASE: 21})
    order = watch(world, "a", category=Category.FEVER_PATIENT)
    assert (order.days, order.end_date) == (10, DAY + dt.timedelta(days=9))


def test_it_takes_explicit_days_over_the_policy(world, morning):
    order = watch(world, "a", days=1)
    assert (order.days, order.end_date) == (1, DAY)


@pytest.mark.parametrize("days", [0, -3, 91])
def test_it_refuses_periods_out_of_range(world, morning, days):
    kp = register(world, "a")
    with pytest.raises(DomainError) as e:
        start(world, kp, days=days)
    assert e.value.field == "days"
    assert not QuarantineOrder.objects.exists()


def test_it_refuses_a_period_that_is_not_a_number(world, morning):
    kp = register(world, "a")
    with pytest.raises(DomainError):
        start(world, kp, days="abc")


def test_it_refuses_a_start_more_than_thirty_days_back_or_a_week_ahead(world, morning):
    kp = register(world, "a")
    for bad in (DAY - dt.timedelta(days=31), DAY + dt.timedelta(days=8)):
        with pytest.raises(DomainError) as e:
            start(world, kp, start_date=bad, days=60)
        assert e.value.field == "start_date"
    assert start(world, kp, start_date=DAY + dt.timedelta(days=7)).start_date == DAY + dt.timedelta(days=7)


def test_it_refuses_a_period_that_is_already_over(world, morning):
    kp = register(world, "a")
    with pytest.raises(DomainError) as e:
        start(world, kp, start_date=DAY - dt.timedelta(days=14))  # 14 days: the last day was yesterday
    assert e.value.field == "days"
    order = start(world, kp, start_date=DAY - dt.timedelta(days=13))  # the last day is today
    assert order.end_date == DAY


def test_a_back_dated_order_owes_no_checks_before_it_was_entered(world, frozen):
    frozen(at(DAY, 12))
    order = watch(world, "a", start=DAY - dt.timedelta(days=5))
    assert order.checks_from == at(DAY, 12)
    assert order.end_date == DAY - dt.timedelta(days=5) + dt.timedelta(days=13)
    # Nothing for the days before entry, nor for this morning's window that closed at 11:00.
    frozen(at(DAY, 13))
    assert services.overdue_escalate() == 0
    rows, counts, day = selectors.followup_list(actor=world.district_office)
    assert [r.pk for r in rows] == [order.pk]
    assert counts["morning_overdue"] == 0 and counts["upcoming"] == 1
    assert selectors.row_slot_state(rows[0], day, "morning") == ""


def test_a_planned_order_owes_from_midnight_of_its_start(world, morning):
    order = watch(world, "a", start=DAY + dt.timedelta(days=2))
    assert order.checks_from == at(DAY + dt.timedelta(days=2), 0)


def test_it_allows_one_active_order_per_key_person(world, morning):
    order = watch(world, "a")
    with pytest.raises(DomainError) as e:
        start(world, order.key_person, days=7)
    assert e.value.code == "active_order"
    assert QuarantineOrder.objects.filter(key_person=order.key_person).count() == 1


def test_it_refuses_an_order_for_a_closed_file(world, morning):
    order = watch(world, "a")
    release(world, order, early=True, reason="入院治疗")
    with pytest.raises(DomainError) as e:
        start(world, KeyPerson.objects.get(pk=order.key_person_id))
    assert e.value.code == "closed"


def test_it_names_the_cadres_of_two_for_one(world, morning):
    order = watch(world, "a")
    assert sorted((c.duty, c.user_id) for c in order.cadres.all()) == sorted([("village", None), ("doctor", world.doctor_a.pk)])


def test_it_refuses_two_for_one_with_one_person(world, morning):
    kp = register(world, "a")
    with pytest.raises(DomainError) as e:
        start(world, kp, cadres=[{"duty": "doctor", "name": "李医生"}])
    assert e.value.field == "cadres"
    assert not QuarantineOrder.objects.exists()


# --- central quarantine -------------------------------------------------------------------------

def test_central_quarantine_needs_a_room(world, morning):
    kp = register(world, "a")
    with pytest.raises(DomainError) as e:
        start(world, kp, kind=OrderKind.CENTRAL)
    assert e.value.field == "room"


def test_only_central_quarantine_takes_a_room(world, morning):
    room = central_room(world)
    with pytest.raises(DomainError) as e:
        start(world, register(world, "a"), kind=OrderKind.HOME_QUARANTINE, room=room)
    assert e.value.field == "room"


def test_central_quarantine_checks_in_at_once(world, morning):
    room = central_room(world)
    order = start(world, register(world, "a"), kind=OrderKind.CENTRAL, room=room)
    assert order.room_id == room.pk and order.checked_in_at == at(DAY, 9) and order.checked_out_at is None


def test_a_room_cannot_take_more_people_than_beds(world, morning):
    room = central_room(world, capacity=2)
    start(world, register(world, "a"), kind=OrderKind.CENTRAL, room=room)
    start(world, register(world, "a", resident=person(world, "a", "李四")), kind=OrderKind.CENTRAL, room=room)
    third = register(world, "a", resident=person(world, "a", "王五"))
    with pytest.raises(DomainError) as e:
        start(world, third, kind=OrderKind.CENTRAL, room=room)
    assert e.value.code == "room_full"
    assert "2 of 2" in str(e.value.message)
    assert QuarantineOrder.objects.filter(room=room).count() == 2


def test_a_release_frees_the_bed(world, morning):
    room = central_room(world, capacity=1)
    first = start(world, register(world, "a"), kind=OrderKind.CENTRAL, room=room)
    second = register(world, "a", resident=person(world, "a", "李四"))
    with pytest.raises(DomainError):
        start(world, second, kind=OrderKind.CENTRAL, room=room)
    first = release(world, first, early=True, reason="转院")
    assert first.checked_out_at == at(DAY, 9)
    assert start(world, second, kind=OrderKind.CENTRAL, room=room).room_id == room.pk


# --- extension ----------------------------------------------------------------------------------

def test_an_extension_adds_days_and_keeps_a_history_row(world, morning):
    order = watch(world, "a")
    order = services.quarantine_order_extend(actor=world.street_officer_a, order=order, days=7, reason="核酸阳性密接", via=COMMAND)
    assert (order.days, order.end_date) == (21, DAY + dt.timedelta(days=20))
    order = services.quarantine_order_extend(actor=world.street_officer_a, order=order, days=3, reason="再观察", via=COMMAND)
    assert (order.days, order.end_date) == (24, DAY + dt.timedelta(days=23))
    order.refresh_from_db()
    assert (order.days, order.end_date) == (24, DAY + dt.timedelta(days=23))
    rows = list(OrderExtension.objects.filter(order=order).values_list("days", "previous_end", "new_end", "reason", "actor"))
    assert rows == [
        (7, DAY + dt.timedelta(days=13), DAY + dt.timedelta(days=20), "核酸阳性密接", world.street_officer_a.pk),
        (3, DAY + dt.timedelta(days=20), DAY + dt.timedelta(days=23), "再观察", world.street_officer_a.pk),
    ]


@pytest.mark.parametrize("days,reason,field", [(0, "x", "days"), (31, "x", "days"), ("abc", "x", "days"), (None, "x", "days"),
                                               (7, "", "reason"), (7, "   ", "reason")])
def test_it_refuses_bad_extensions(world, morning, days, reason, field):
    order = watch(world, "a")
    with pytest.raises(DomainError) as e:
        services.quarantine_order_extend(actor=world.street_officer_a, order=order, days=days, reason=reason, via=COMMAND)
    assert e.value.field == field
    order.refresh_from_db()
    assert (order.days, order.end_date) == (14, DAY + dt.timedelta(days=13))
    assert not OrderExtension.objects.exists()


def test_it_refuses_to_extend_an_ended_order(world, morning):
    order = watch(world, "a")
    release(world, order, early=True, reason="误判")
    with pytest.raises(DomainError) as e:
        services.quarantine_order_extend(actor=world.street_officer_a, order=order, days=7, reason="x", via=COMMAND)
    assert e.value.code == "ended"


def test_an_extension_moves_the_release_day(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=2)
    checks_through(order, world.doctor_a, 2)
    services.quarantine_order_extend(actor=world.street_officer_a, order=order, days=1, reason="发热观察", via=COMMAND)
    frozen(at(DAY + dt.timedelta(days=1), 19))
    with pytest.raises(DomainError) as e:
        release(world, order)
    assert e.value.code == "not_due"


# --- release ------------------------------------------------------------------------------------

def test_it_refuses_release_before_the_end_date(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=3)
    checks_through(order, world.doctor_a, 2)
    with pytest.raises(DomainError) as e:
        release(world, order)
    assert e.value.code == "not_due"
    assert str(DAY + dt.timedelta(days=2)) in str(e.value.message)
    order.refresh_from_db()
    assert order.status == "active"


def test_it_releases_at_the_end_date_when_the_conditions_hold(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=2)
    checks_through(order, world.doctor_a, 2)
    frozen(at(DAY + dt.timedelta(days=1), 18, 30))
    order = release(world, order)
    assert order.status == "released" and order.release_kind == "completed"
    assert order.ended_at == at(DAY + dt.timedelta(days=1), 18, 30) and order.ended_by == world.street_officer_a
    assert order.release_conditions["normal_checks"]["met"] and order.release_conditions["last_day_checks"]["met"]


def test_a_release_closes_the_key_person_file(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=2)
    checks_through(order, world.doctor_a, 2)
    release(world, order)
    kp = KeyPerson.objects.get(pk=order.key_person_id)
    assert kp.status == "released"
    assert list(kp.events.filter(kind="status").values_list("from_value", "to_value")) == [("", "active"), ("active", "released")]


def test_a_released_person_leaves_the_active_lists(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=2)
    checks_through(order, world.doctor_a, 2)
    release(world, order)
    rows, counts, _ = selectors.followup_list(actor=world.district_office)
    assert list(rows) == [] and counts["total"] == 0
    assert list(selectors.order_list(actor=world.district_office, status="active")) == []
    assert [o.pk for o in selectors.release_list(actor=world.district_office)] == [order.pk]


def test_a_fever_among_the_last_checks_blocks_release(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=3)
    checks_through(order, world.doctor_a, 2)
    frozen(at(DAY + dt.timedelta(days=2), 8))
    check(order, world.doctor_a, "37.8")
    frozen(at(DAY + dt.timedelta(days=2), 15))
    check(order, world.doctor_a, "36.6")
    frozen(at(DAY + dt.timedelta(days=2), 19))
    with pytest.raises(DomainError) as e:
        release(world, order)
    assert e.value.code == "conditions_unmet"
    assert "The last 4 checks normal (3 of 4)" in str(e.value.message)
    assert "last day" not in str(e.value.message)
    assert QuarantineOrder.objects.get(pk=order.pk).status == "active"


def test_too_few_checks_block_release(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=1)
    check(order, world.doctor_a)
    frozen(at(DAY, 15))
    check(order, world.doctor_a)
    frozen(at(DAY, 19))
    with pytest.raises(DomainError) as e:
        release(world, order)
    assert "The last 4 checks normal (2 of 4)" in str(e.value.message)


def test_a_missed_check_on_the_last_day_blocks_release(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=3)
    checks_through(order, world.doctor_a, 2)
    frozen(at(DAY + dt.timedelta(days=2), 8))
    check(order, world.doctor_a)
    frozen(at(DAY + dt.timedelta(days=2), 19))
    with pytest.raises(DomainError) as e:
        release(world, order)
    assert e.value.code == "conditions_unmet"
    assert f"Both checks of the last day ({DAY + dt.timedelta(days=2)}) recorded (1 of 2)" in str(e.value.message)
    # Recorded late, the afternoon check lets the person go.
    check(order, world.doctor_a, checked_at=at(DAY + dt.timedelta(days=2), 17, 50))
    assert release(world, order).status == "released"


def test_the_conditions_follow_the_policy(world, frozen):
    QuarantinePolicy.objects.create(district=world.district, release_normal_checks=0, release_requires_all_checks=False)
    frozen(at(DAY, 9))
    order = watch(world, "a", days=1)
    frozen(at(DAY, 19))
    assert release(world, order).release_conditions == {}


def test_an_early_release_needs_a_reason(world, morning):
    order = watch(world, "a")
    for reason in ("", "  "):
        with pytest.raises(DomainError) as e:
            release(world, order, early=True, reason=reason)
        assert e.value.field == "reason"
    order = release(world, order, early=True, reason="排除密接")
    assert (order.status, order.release_kind, order.release_reason) == ("released", "early", "排除密接")
    assert order.release_conditions["normal_checks"]["met"] is False


def test_early_on_the_last_day_does_not_bypass_the_conditions(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", days=2)
    frozen(at(DAY + dt.timedelta(days=1), 9))  # last day, no check recorded at all
    # From the end date on the conditions apply, "early" or not; no check at all is not a completed period.
    with pytest.raises(DomainError) as e:
        release(world, order, early=True, reason="提前解除")
    assert e.value.code == "conditions_unmet"
    assert QuarantineOrder.objects.get(pk=order.pk).status == "active"


# --- transfer and cancellation ------------------------------------------------------------------

def test_an_order_ends_as_transferred_with_a_reason(world, morning):
    order = watch(world, "a")
    with pytest.raises(DomainError) as e:
        services.quarantine_order_end(actor=world.street_officer_a, order=order, status="transferred", reason=" ", via=COMMAND)
    assert e.value.field == "reason"
    order = services.quarantine_order_end(actor=world.street_officer_a, order=order, status="transferred", reason="转定点医院",
                                          via=COMMAND)
    assert (order.status, order.release_reason, order.ended_at) == ("transferred", "转定点医院", at(DAY, 9))
    # The file stays open: the person can be ordered again (e.g. central quarantine after the hospital).
    assert KeyPerson.objects.get(pk=order.key_person_id).status == "active"
    again = start(world, order.key_person)
    assert again.pk != order.pk and again.status == "active"


def test_an_order_entered_in_error_is_cancelled(world, morning):
    order = watch(world, "a")
    order = services.quarantine_order_end(actor=world.street_officer_a, order=order, status="cancelled", reason="录入错误", via=COMMAND)
    assert order.status == "cancelled"
    assert list(selectors.followup_list(actor=world.district_office)[0]) == []


def test_end_refuses_released_as_a_status(world, morning):
    order = watch(world, "a")
    with pytest.raises(DomainError) as e:
        services.quarantine_order_end(actor=world.street_officer_a, order=order, status="released", reason="x", via=COMMAND)
    assert e.value.field == "status"


def test_an_ended_order_cannot_end_again(world, morning):
    order = watch(world, "a")
    services.quarantine_order_end(actor=world.street_officer_a, order=order, status="cancelled", reason="录入错误", via=COMMAND)
    for call in (lambda: release(world, order, early=True, reason="x"),
                 lambda: services.quarantine_order_end(actor=world.street_officer_a, order=order, status="transferred", reason="x",
                                                       via=COMMAND)):
        with pytest.raises(DomainError) as e:
            call()
        assert e.value.code == "ended"


def test_transferring_the_person_out_ends_the_order_and_frees_the_bed(world, morning):
    room = central_room(world)
    order = start(world, register(world, "a"), kind=OrderKind.CENTRAL, room=room)
    services.key_person_transfer_out(actor=world.street_officer_a, key_person=order.key_person, reason="转外区", via=COMMAND)
    order.refresh_from_db()
    assert order.status == "transferred" and order.checked_out_at == at(DAY, 9)
    assert KeyPerson.objects.get(pk=order.key_person_id).status == "transferred"
    assert KeyPersonEvent.objects.filter(key_person=order.key_person, to_value="transferred").count() == 1
