"""Coverage, work lists and work logs checked against a hand-counted district."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from lianfang.core.audit import COMMAND
from lianfang.core.models import Level
from lianfang.core.tests.factories import make_household, make_org, make_resident
from lianfang.screening import selectors
from lianfang.screening.models import Result
from lianfang.screening.services import CheckIn, screening_visit_record

from .factories import open_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(world):
    """Street A (7 households): grid 1 has household_a (1 resident) and 4 more in building_a
    (rooms 1101, 201, 102, 301); grid 2 has 2 households placed directly on the grid.
    Street B: household_b only.

    Visits in street A: household_a all present (its resident flagged: fever), room 201 nobody
    home, room 102 refused, room 301 vacant (then nothing else), grid 2's first household all
    present with 2 residents. Street B: household_b moved out."""
    w = world
    w.rooms = {room: make_household(org=w.building_a, room=room) for room in ("1101", "201", "102", "301")}
    w.grid2_homes = [make_household(org=w.grid2_a, room=str(i), address=f"二网格{i}号") for i in (1, 2)]
    for name in ("甲", "乙"):
        make_resident(household=w.grid2_homes[0], name=name)
    w.round = open_round(actor=w.district_office, scope=w.district)

    def visit(household, result, actor, checks=()):
        return screening_visit_record(actor=actor, screening_round=w.round, household=household, uid=uuid.uuid4(), method="door",
                                      result=result, checks=list(checks), via=COMMAND)

    visit(w.household_a, Result.ALL_PRESENT, w.grid_worker_a, [CheckIn(resident=w.resident_a, temperature="38.0")])
    visit(w.rooms["201"], Result.NOBODY_HOME, w.grid_worker_a)
    visit(w.rooms["102"], Result.REFUSED, w.grid_worker_a)
    visit(w.rooms["301"], Result.VACANT, w.grid_worker_a)
    visit(w.grid2_homes[0], Result.ALL_PRESENT, w.street_officer_a)
    visit(w.household_b, Result.MOVED_OUT, w.grid_worker_b)
    return w


def test_district_coverage_adds_up_per_street(counted):
    w = counted
    total, rows = selectors.coverage(actor=w.district_office, screening_round=w.round)
    assert (total.households, total.visited, total.revisits, total.refused, total.not_visited) == (8, 5, 1, 1, 2)
    assert (total.residents_checked, total.candidates) == (3, 1)
    by_street = {r.node.pk: r for r in rows}
    a, b = by_street[w.street_a.pk], by_street[w.street_b.pk]
    assert (a.households, a.visited, a.revisits, a.refused, a.not_visited, a.residents_checked, a.candidates) == (7, 4, 1, 1, 2, 3, 1)
    assert (b.households, b.visited, b.not_visited, b.by_result["moved_out"]) == (1, 1, 0, 1)
    assert a.percent == 57.1


def test_grid_coverage_counts_households_placed_directly_on_the_grid(counted):
    w = counted
    total, rows = selectors.coverage(actor=w.street_officer_a, screening_round=w.round, org=w.grid2_a)
    assert (total.households, total.visited, total.not_visited, total.residents_checked) == (2, 1, 1, 2)
    total, rows = selectors.coverage(actor=w.street_officer_a, screening_round=w.round, org=w.community_a)
    assert [(r.node.pk, r.households, r.visited) for r in rows] == [(w.grid1_a.pk, 5, 3), (w.grid2_a.pk, 2, 1)]


def test_a_grid_worker_sees_the_district_round_for_their_grid_only(counted):
    w = counted
    total, rows = selectors.coverage(actor=w.grid_worker_a, screening_round=w.round)
    assert total.node == w.grid1_a
    assert (total.households, total.visited, total.revisits, total.not_visited) == (5, 3, 1, 1)


def test_the_work_list_puts_revisits_first_then_rooms_in_numeric_order(counted):
    w = counted
    extra = make_household(org=w.building_a, room="9")
    households = list(selectors.work_list(actor=w.grid_worker_a, screening_round=w.round))
    assert [h.room for h in households] == ["201", "9", "1101"]
    assert households[0].revisit_due == timezone.localdate() + dt.timedelta(days=1)
    assert extra in households


def test_the_revisit_takes_the_household_off_the_list(counted):
    w = counted
    screening_visit_record(actor=w.grid_worker_a, screening_round=w.round, household=w.rooms["201"], uid=uuid.uuid4(),
                           method="phone", result=Result.ALL_PRESENT, via=COMMAND)
    assert [h.room for h in selectors.work_list(actor=w.grid_worker_a, screening_round=w.round)] == ["1101"]
    total, _ = selectors.coverage(actor=w.grid_worker_a, screening_round=w.round)
    assert (total.visited, total.revisits) == (4, 0)


def test_unvisited_list_of_the_district_is_every_household_still_owed(counted):
    w = counted
    owed = {h.pk for h in selectors.unvisited_list(actor=w.district_office, screening_round=w.round)}
    assert owed == {w.rooms["201"].pk, w.rooms["1101"].pk, w.grid2_homes[1].pk}


def test_the_work_log_is_derived_per_grid_and_per_street(counted):
    w = counted
    today = timezone.localdate()
    grid_rows = selectors.work_log(actor=w.district_office, screening_round=w.round, level=Level.GRID)
    by_grid = {(e.day, e.node.pk): e for e in grid_rows}
    g1 = by_grid[(today, w.grid1_a.pk)]
    assert (g1.visits, g1.households_done, g1.revisits, g1.refused, g1.residents_checked, g1.candidates, g1.visitors) == (4, 3, 1, 1, 1, 1, 1)
    assert by_grid[(today, w.grid2_a.pk)].visits == 1
    streets = {e.node.pk: e for e in selectors.work_log(actor=w.district_office, screening_round=w.round, level=Level.STREET)}
    assert (streets[w.street_a.pk].visits, streets[w.street_a.pk].visitors, streets[w.street_b.pk].visits) == (5, 2, 1)
    assert selectors.work_log(actor=w.district_office, screening_round=w.round, level=Level.GRID,
                              since=today + dt.timedelta(days=1)) == []


def test_a_street_round_is_invisible_to_the_other_street(world):
    street_round = open_round(actor=world.street_officer_b, scope=world.street_b)
    assert list(selectors.round_list(actor=world.street_officer_a)) == []
    assert list(selectors.round_list(actor=world.grid_worker_b)) == [street_round]
    assert list(selectors.round_list(actor=world.district_office)) == [street_round]


def test_a_new_community_is_part_of_an_open_round_at_once(counted):
    w = counted
    grid = make_org(name="新网格", level=Level.GRID, parent=w.community_a)
    make_household(org=grid, room="1")
    total, _ = selectors.coverage(actor=w.street_officer_a, screening_round=w.round)
    assert total.households == 8
