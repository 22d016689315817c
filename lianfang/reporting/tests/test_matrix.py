"""Completeness and timeliness: units × days, rates, and who is still missing."""

import datetime as dt

from .. import selectors
from ..selectors import Cell
from .factories import DAY, local, submit, template


def test_the_matrix_says_on_time_late_missing_pending_and_not_due(world, units, frozen):
    t = template(world)
    units["b"].reporters.add(world.grid_worker_b)
    yesterday, tomorrow = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1)
    frozen(local(yesterday, 11))
    submit(world, t, units["a"], day=yesterday)                        # late (deadline 10:00)
    frozen(local(DAY, 9))
    submit(world, t, units["a"], values=None, zero=True)              # zero, on time
    m = selectors.completeness_matrix(actor=world.district_office, template=t, since=yesterday, until=tomorrow)
    rows = {r.unit.name: r for r in m.rows}
    assert rows["东风社区"].cells == [Cell.LATE, Cell.ON_TIME, Cell.NOT_DUE] and rows["东风社区"].zero == [False, True, False]
    assert rows["西湖社区"].cells == [Cell.MISSING, Cell.PENDING, Cell.NOT_DUE]
    # Expected: yesterday's two, and today's one already in; the pending one is not expected yet.
    assert (m.expected, m.submitted, m.on_time, m.zero) == (3, 2, 1, 1)
    assert round(m.reporting_rate, 3) == 0.667 and round(m.on_time_rate, 3) == 0.333
    frozen(local(DAY, 10, 0, 1))
    m = selectors.completeness_matrix(actor=world.district_office, template=t, since=DAY, until=DAY)
    assert {r.unit.name: r.cells for r in m.rows} == {"东风社区": [Cell.ON_TIME], "西湖社区": [Cell.MISSING]}


def test_a_street_sees_only_its_communities_and_the_missing_list_names_whom_to_call(world, units, frozen):
    t = template(world)
    units["b"].head_name, units["b"].head_phone = "李主任", "13900002222"
    units["b"].save()
    frozen(local(DAY, 9))
    submit(world, t, units["a"])
    m = selectors.completeness_matrix(actor=world.street_officer_a, template=t, since=DAY, until=DAY)
    assert [r.unit.name for r in m.rows] == ["东风社区"]
    missing = list(selectors.units_missing(actor=world.district_office, template=t, day=DAY))
    assert [(u.name, u.head_name, u.head_phone) for u in missing] == [("西湖社区", "李主任", "13900002222")]
    assert list(selectors.units_missing(actor=world.street_officer_a, template=t, day=DAY)) == []
