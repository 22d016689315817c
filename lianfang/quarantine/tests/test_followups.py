"""Today's follow-up list, live from the orders, as the doctor and the street see it through
the day and across midnight."""

import datetime as dt

import pytest

from lianfang.core import clock
from lianfang.quarantine import selectors
from lianfang.quarantine.models import Duty, QuarantinePolicy

from .factories import DAY, at, check, person, watch  # noqa: F401

pytestmark = pytest.mark.django_db

NEXT = DAY + dt.timedelta(days=1)
PREV = DAY - dt.timedelta(days=1)
STATES = ["overdue", "due", "upcoming", "done"]


def ongoing(world, key="a", **kw):
    """An order entered yesterday morning: it owes both of today's checks."""
    saved = clock.now()
    clock.set_now(at(PREV, 9))
    order = watch(world, key, start=PREV, **kw)
    clock.set_now(saved)
    return order


def listing(actor, **kw):
    rows, counts, day = selectors.followup_list(actor=actor, **kw)
    rows = list(rows)
    return {r.pk: selectors.State.ORDER[r.state_rank] for r in rows}, counts, day, rows


def state_of(actor, order):
    states, _counts, _day, _rows = listing(actor)
    return states.get(order.pk)


@pytest.fixture
def dawn(frozen):
    frozen(at(DAY, 6))
    return frozen


# --- the two windows ----------------------------------------------------------------------------

@pytest.mark.parametrize("hour,minute,state", [(0, 0, "upcoming"), (6, 59, "upcoming"), (7, 0, "due"), (8, 0, "due"),
                                               (10, 59, "due"), (11, 0, "overdue"), (13, 0, "overdue"), (23, 59, "overdue")])
def test_an_unchecked_morning_goes_upcoming_due_overdue(world, frozen, hour, minute, state):
    frozen(at(DAY, hour, minute))
    order = ongoing(world)
    states, counts, day, rows = listing(world.doctor_a)
    assert states == {order.pk: state}
    assert counts[state] == 1 and counts["total"] == 1
    assert selectors.row_slot_state(rows[0], day, "morning") == state


@pytest.mark.parametrize("hour,state", [(9, "upcoming"), (12, "upcoming"), (14, "due"), (17, "due"), (18, "overdue"), (23, "overdue")])
def test_after_the_morning_check_the_afternoon_decides(world, frozen, hour, state):
    frozen(at(DAY, 8))
    order = ongoing(world)
    check(order, world.doctor_a)
    frozen(at(DAY, hour, 30) if hour == 23 else at(DAY, hour))
    states, counts, day, rows = listing(world.doctor_a)
    assert states == {order.pk: state}
    assert selectors.row_slot_state(rows[0], day, "morning") == "done"
    assert selectors.row_slot_state(rows[0], day, "afternoon") == state
    assert counts["morning_done"] == 1 and counts[f"afternoon_{state}"] == 1


def test_a_missed_morning_stays_overdue_after_the_afternoon_check(world, frozen):
    frozen(at(DAY, 15))
    order = ongoing(world)
    check(order, world.doctor_a)
    assert state_of(world.doctor_a, order) == "overdue"
    _states, counts, _day, _rows = listing(world.doctor_a)
    assert counts["checks_overdue"] == 1 and counts["checks_done"] == 1


def test_both_checks_make_it_done(world, frozen):
    frozen(at(DAY, 8))
    order = ongoing(world)
    check(order, world.doctor_a)
    frozen(at(DAY, 15))
    check(order, world.doctor_a)
    for moment in (at(DAY, 15, 1), at(DAY, 18), at(DAY, 23, 59)):
        frozen(moment)
        states, counts, _day, _rows = listing(world.doctor_a)
        assert states == {order.pk: "done"} and counts["done"] == 1 and counts["checks_done"] == 2


def test_the_windows_follow_the_district_policy(world, frozen):
    QuarantinePolicy.objects.create(district=world.district, morning_start=dt.time(6), morning_end=dt.time(9),
                                    afternoon_start=dt.time(16), afternoon_end=dt.time(20))
    frozen(at(DAY, 6, 30))
    order = ongoing(world)
    assert state_of(world.doctor_a, order) == "due"
    frozen(at(DAY, 9, 30))
    assert state_of(world.doctor_a, order) == "overdue"
    frozen(at(DAY, 9, 35))
    check(order, world.doctor_a)
    frozen(at(DAY, 15))
    assert state_of(world.doctor_a, order) == "upcoming"
    frozen(at(DAY, 19))
    assert state_of(world.doctor_a, order) == "due"


# --- across midnight ----------------------------------------------------------------------------

def test_the_list_is_fresh_after_midnight(world, frozen):
    frozen(at(DAY, 8))
    checked = ongoing(world)
    missed = ongoing(world, resident=person(world, "a", "李四"))
    check(checked, world.doctor_a)
    frozen(at(DAY, 15))
    check(checked, world.doctor_a)
    frozen(at(DAY, 23, 59))
    states, counts, day, _rows = listing(world.doctor_a)
    assert day.day == DAY
    assert states == {checked.pk: "done", missed.pk: "overdue"}
    assert (counts["done"], counts["overdue"], counts["checks_overdue"]) == (1, 1, 2)
    frozen(at(NEXT, 0, 1))
    states, counts, day, rows = listing(world.doctor_a)
    assert day.day == NEXT
    assert states == {checked.pk: "upcoming", missed.pk: "upcoming"}
    assert (counts["upcoming"], counts["done"], counts["overdue"], counts["checks_done"]) == (2, 0, 0, 0)
    assert {selectors.row_slot_state(r, day, s) for r in rows for s in ("morning", "afternoon")} == {"upcoming"}


def test_an_order_starting_tomorrow_is_not_on_todays_list(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a", start=NEXT)
    frozen(at(DAY, 23, 59))
    assert state_of(world.doctor_a, order) is None
    assert listing(world.doctor_a)[1]["total"] == 0
    frozen(at(NEXT, 0, 1))
    assert state_of(world.doctor_a, order) == "upcoming"
    frozen(at(NEXT, 7))
    assert state_of(world.doctor_a, order) == "due"


def test_an_order_ending_today_drops_off_at_midnight(world, frozen):
    frozen(at(PREV, 9))
    order = watch(world, "a", start=PREV, days=2)  # last day: DAY
    frozen(at(DAY, 23, 59))
    assert state_of(world.doctor_a, order) == "overdue"
    frozen(at(NEXT, 0, 1))
    assert state_of(world.doctor_a, order) is None
    assert listing(world.doctor_a)[1]["total"] == 0


def test_orders_past_their_end_date_are_not_listed(world, frozen):
    frozen(at(PREV, 9))
    order = watch(world, "a", start=PREV, days=1)
    frozen(at(DAY, 8))
    assert state_of(world.district_office, order) is None


# --- orders entered during the day --------------------------------------------------------------

def test_an_order_entered_at_noon_owes_no_morning_check(world, frozen):
    frozen(at(DAY, 12))
    order = watch(world, "a")
    states, counts, day, rows = listing(world.doctor_a)
    assert states == {order.pk: "upcoming"}
    assert selectors.row_slot_state(rows[0], day, "morning") == ""
    assert counts["morning_overdue"] == 0 and counts["morning_done"] == 0
    frozen(at(DAY, 19))
    states, counts, _day, _rows = listing(world.doctor_a)
    assert states == {order.pk: "overdue"} and counts["checks_overdue"] == 1


def test_an_order_entered_during_the_morning_window_owes_it(world, frozen):
    frozen(at(DAY, 10))
    order = watch(world, "a")
    assert state_of(world.doctor_a, order) == "due"


def test_an_order_entered_in_the_evening_owes_nothing_today(world, frozen):
    frozen(at(DAY, 18, 30))
    order = watch(world, "a")
    assert state_of(world.doctor_a, order) is None
    frozen(at(NEXT, 8))
    assert state_of(world.doctor_a, order) == "due"


# --- counts, filters, breakdown -----------------------------------------------------------------

@pytest.fixture
def mixed(world, frozen):
    """At 15:00: one done, one due (morning checked), one overdue (morning missed) in street a;
    one due in street b."""
    frozen(at(DAY, 8))
    done, due, overdue = (ongoing(world, resident=person(world, "a", n)) for n in ("甲", "乙", "丙"))
    other = ongoing(world, "b")
    check(done, world.doctor_a)
    check(due, world.doctor_a)
    check(other, world.doctor_b)
    frozen(at(DAY, 14, 30))
    check(done, world.doctor_a)
    frozen(at(DAY, 15))
    return {"done": done, "due": due, "overdue": overdue, "other": other}


def test_the_counts_equal_the_rows(world, mixed):
    states, counts, _day, rows = listing(world.district_office)
    assert states == {mixed["done"].pk: "done", mixed["due"].pk: "due", mixed["overdue"].pk: "overdue", mixed["other"].pk: "due"}
    assert counts["total"] == len(rows) == 4
    for s in STATES:
        assert counts[s] == sum(1 for v in states.values() if v == s)
    assert [selectors.State.ORDER[r.state_rank] for r in rows] == ["overdue", "due", "due", "done"]
    assert counts["checks_done"] == 4 and counts["checks_overdue"] == 1
    for s in STATES:
        filtered = list(selectors.followup_list(actor=world.district_office, state=s)[0])
        assert len(filtered) == counts[s]


def test_a_street_sees_only_its_own_follow_ups(world, mixed):
    assert set(listing(world.street_officer_a)[0]) == {mixed["done"].pk, mixed["due"].pk, mixed["overdue"].pk}
    states, counts, _day, _rows = listing(world.street_officer_b)
    assert states == {mixed["other"].pk: "due"} and counts["total"] == 1


def test_org_narrows_the_list(world, mixed):
    states, counts, _day, _rows = listing(world.district_office, org=world.street_b)
    assert states == {mixed["other"].pk: "due"} and counts["total"] == 1


def test_mine_is_the_orders_the_cadre_is_named_for(world, frozen):
    frozen(at(DAY, 8))
    named = ongoing(world)
    not_named = ongoing(world, resident=person(world, "a", "李四"), doctor=world.grid_worker_a)
    states, counts, _day, _rows = listing(world.doctor_a, mine=True)
    assert states == {named.pk: "due"} and counts["total"] == 1
    assert set(listing(world.doctor_a)[0]) == {named.pk, not_named.pk}
    assert set(listing(world.grid_worker_a, mine=True)[0]) == {not_named.pk}
    assert set(listing(world.street_officer_a, cadre_user_id=world.grid_worker_a.pk)[0]) == {not_named.pk}
    assert listing(world.street_officer_a, mine=True)[1]["total"] == 0


def test_the_breakdown_counts_per_street(world, mixed):
    day = selectors.followup_day(district_id=world.district.pk)
    out = selectors.followup_breakdown(actor=world.district_office, org=world.district, children=[world.street_a, world.street_b],
                                       day=day)
    got = {b["org"].pk: {k: b[k] for k in ["total", *STATES]} for b in out}
    assert got == {
        world.street_a.pk: {"total": 3, "overdue": 1, "due": 1, "upcoming": 0, "done": 1},
        world.street_b.pk: {"total": 1, "overdue": 0, "due": 1, "upcoming": 0, "done": 0},
    }


def test_the_breakdown_per_grid_leaves_out_empty_grids(world, mixed):
    day = selectors.followup_day(district_id=world.district.pk)
    out = selectors.followup_breakdown(actor=world.street_officer_a, org=world.community_a, children=[world.grid1_a, world.grid2_a],
                                       day=day)
    assert [(b["org"].pk, b["total"]) for b in out] == [(world.grid1_a.pk, 3)]


def test_the_breakdown_respects_the_actors_scope(world, mixed):
    day = selectors.followup_day(district_id=world.district.pk)
    out = selectors.followup_breakdown(actor=world.street_officer_a, org=world.district, children=[world.street_a, world.street_b],
                                       day=day)
    assert [b["org"].pk for b in out] == [world.street_a.pk]


def test_duty_is_shown_on_the_rows(world, mixed):
    rows = listing(world.doctor_a)[3]
    assert all({c.duty for c in r.cadres.all()} == {Duty.VILLAGE, Duty.DOCTOR} for r in rows)
