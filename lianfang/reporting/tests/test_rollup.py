"""Roll-up, completeness rates and scoping of the reads, by the tester."""

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from lianfang.core.audit import COMMAND
from lianfang.core.models import Level
from lianfang.core.tests.factories import make_org

from .. import selectors, services
from ..models import ReportingUnit
from ..selectors import Cell
from .factories import DAY, local, submit, template

FIELDS = [{"key": "visited", "label": "走访户数", "required": False}, {"key": "funds", "label": "资金", "kind": "decimal", "required": False},
          {"key": "note", "label": "工作亮点", "kind": "text", "required": False}]


@pytest.fixture
def tree(world):
    """Two more communities under street A (three in all), the street units, and a finance bureau."""
    services.reporting_units_sync(district=world.district)
    extra = [make_org(name=n, level=Level.COMMUNITY, parent=world.street_a) for n in ("东风二社区", "东风三社区")]
    services.reporting_units_sync(district=world.district)
    finance = ReportingUnit.objects.create(district=world.district, kind="finance", org_path=world.district.path, name="区财政局",
                                           head_name="马局长")
    for unit in ReportingUnit.objects.all():
        unit.reporters.add(world.district_office)
    return {"a1": ReportingUnit.objects.get(org=world.community_a), "a2": ReportingUnit.objects.get(org=extra[0]),
            "a3": ReportingUnit.objects.get(org=extra[1]), "b1": ReportingUnit.objects.get(org=world.community_b),
            "street_a": ReportingUnit.objects.get(org=world.street_a), "street_b": ReportingUnit.objects.get(org=world.street_b),
            "finance": finance}


def make(world, kinds=("community", "finance"), name="综合日报"):
    return services.report_template_save(actor=world.district_office, district=world.district, name=name, unit_kinds=list(kinds),
                                         deadline=dt.time(10), fields=FIELDS, via=COMMAND)


def put(world, t, unit, zero=False, **values):
    return services.daily_report_submit(actor=world.district_office, template=t, unit=unit, day=DAY, values=values, zero=zero, via=COMMAND)


def rows(roll):
    return {r.label: r for r in roll.rows}


def test_a_streets_row_is_the_sum_of_its_communities_and_the_total_is_everything(world, tree, frozen):
    t = make(world)
    frozen(local(DAY, 9))
    put(world, t, tree["a1"], visited=3, funds="0.1", note="东风一亮点")
    put(world, t, tree["a2"], visited=4, funds="0.2")
    put(world, t, tree["a3"], zero=True)
    put(world, t, tree["b1"], visited=10, funds="1.05", note="西湖亮点")
    put(world, t, tree["finance"], funds="100.00", note="资金已拨付")
    roll = selectors.rollup(actor=world.district_office, template=t, day=DAY)
    by = rows(roll)
    assert set(by) == {"东风街道", "西湖街道", "区财政局"}
    a = by["东风街道"]
    assert (a.units, a.reported, a.zero) == (3, 3, 1) and a.org == world.street_a and a.unit is None
    assert a.sums == {"visited": 7, "funds": Decimal("0.3")}     # exactly 0.3, not 0.30000000000000004
    assert [t_[2] for t_ in a.texts] == ["东风一亮点"]
    assert by["西湖街道"].sums == {"visited": 10, "funds": Decimal("1.05")}
    fin = by["区财政局"]
    assert fin.org is None and fin.unit == tree["finance"] and fin.report is not None and fin.sums == {"funds": Decimal("100.00")}
    assert roll.total.sums == {"visited": 17, "funds": Decimal("101.35")} and (roll.total.units, roll.total.reported) == (5, 5)
    assert sorted(x[2] for x in roll.total.texts) == ["东风一亮点", "西湖亮点", "资金已拨付"]
    # The total equals the sum of the rows.
    for key in ("visited", "funds"):
        assert sum((r.sums.get(key, 0) for r in roll.rows), 0) == roll.total.sums[key]
    # Drill down: the street's own roll-up has a row per community, each its unit's report.
    street = selectors.rollup(actor=world.district_office, template=t, day=DAY, org=world.street_a)
    assert {r.label: r.sums.get("visited") for r in street.rows} == {"东风社区": 3, "东风二社区": 4, "东风三社区": None}
    assert street.total.sums == a.sums


def test_a_street_and_community_template_counts_the_communities_once(world, tree, frozen):
    t = make(world, kinds=("street", "community"))
    frozen(local(DAY, 9))
    put(world, t, tree["a1"], visited=3)
    put(world, t, tree["a2"], visited=4)
    put(world, t, tree["street_a"], visited=7)   # the street's own report repeats its communities' figures
    put(world, t, tree["b1"], visited=1)
    roll = selectors.rollup(actor=world.district_office, template=t, day=DAY)
    assert rows(roll)["东风街道"].sums["visited"] == 7 and roll.total.sums["visited"] == 8
    assert roll.total.units == 4     # a1, a2, a3, b1: no street unit counted


def test_a_streets_only_template_rolls_the_streets_up(world, tree, frozen):
    t = make(world, kinds=("street",))
    frozen(local(DAY, 9))
    put(world, t, tree["street_a"], visited=7)
    put(world, t, tree["street_b"], visited=2)
    roll = selectors.rollup(actor=world.district_office, template=t, day=DAY)
    assert {r.label: r.sums["visited"] for r in roll.rows} == {"东风街道": 7, "西湖街道": 2} and roll.total.sums["visited"] == 9
    own = selectors.rollup(actor=world.street_officer_a, template=t, day=DAY)
    assert [(r.label, r.unit) for r in own.rows] == [("东风街道", tree["street_a"])] and own.total.sums == {"visited": 7}


def test_a_street_officers_rollup_has_nothing_of_another_street_or_the_departments(world, tree, frozen):
    t = make(world)
    frozen(local(DAY, 9))
    put(world, t, tree["a1"], visited=3, note="甲")
    put(world, t, tree["b1"], visited=10, note="乙")
    put(world, t, tree["finance"], funds="5", note="丙")
    for org in (None, world.district):
        roll = selectors.rollup(actor=world.street_officer_b, template=t, day=DAY, org=org)
        assert roll.total.sums == {"visited": 10} and [x[2] for x in roll.total.texts] == ["乙"]
        assert all(r.label not in ("东风街道", "东风社区", "区财政局") for r in roll.rows)


def test_an_empty_day_sums_nothing(world, tree, frozen):
    t = make(world)
    frozen(local(DAY, 9))
    roll = selectors.rollup(actor=world.district_office, template=t, day=DAY)
    assert roll.total.sums == {} and roll.total.reported == 0 and roll.total.units == 5


# --- completeness and rates -----------------------------------------------------------------

def test_a_zero_report_is_on_time_in_the_matrix_and_the_rates(world, units, frozen):
    t = template(world)
    units["b"].reporters.add(world.grid_worker_a)
    frozen(local(DAY, 9))
    submit(world, t, units["a"], values=None, zero=True)
    submit(world, t, units["b"], values=None, zero=True)
    frozen(local(DAY, 12))
    m = selectors.completeness_matrix(actor=world.district_office, template=t, since=DAY, until=DAY)
    assert [r.cells for r in m.rows] == [[Cell.ON_TIME], [Cell.ON_TIME]] and [r.zero for r in m.rows] == [[True], [True]]
    assert (m.expected, m.submitted, m.on_time, m.zero, m.reporting_rate, m.on_time_rate) == (2, 2, 2, 2, 1.0, 1.0)


def test_a_late_zero_report_is_late(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 10, 0, 1))
    submit(world, t, units["a"], values=None, zero=True)
    m = selectors.completeness_matrix(actor=world.district_office, template=t, since=DAY, until=DAY)
    assert dict((r.unit.name, r.cells[0]) for r in m.rows)["东风社区"] == Cell.LATE
    assert (m.submitted, m.on_time, m.zero) == (1, 0, 1)


def test_rates_are_none_when_nothing_is_expected(world, units, frozen):
    t = template(world)
    frozen(local(DAY, 9))
    pending = selectors.completeness_matrix(actor=world.district_office, template=t, since=DAY, until=DAY + dt.timedelta(days=2))
    assert pending.expected == 0 and pending.reporting_rate is None and pending.on_time_rate is None
    nobody = selectors.completeness_matrix(actor=world.grid_worker_b, template=t, since=DAY - dt.timedelta(days=5), until=DAY)
    assert nobody.rows == [] and nobody.reporting_rate is None


def test_an_inactive_unit_is_not_expected(world, units, frozen):
    t = template(world)
    units["b"].is_active = False
    units["b"].save()
    frozen(local(DAY, 12))
    m = selectors.completeness_matrix(actor=world.district_office, template=t, since=DAY, until=DAY)
    assert [r.unit.name for r in m.rows] == ["东风社区"] and m.expected == 1
    assert list(selectors.units_missing(actor=world.district_office, template=t, day=DAY)) == [units["a"]]


# --- scoping of the reads -------------------------------------------------------------------

def test_a_community_reporter_sees_only_its_own_unit_and_reports(world, units, frozen):
    t = template(world)
    units["b"].reporters.add(world.grid_worker_b)
    frozen(local(DAY, 9))
    mine = submit(world, t, units["a"])
    theirs = services.daily_report_submit(actor=world.grid_worker_b, template=t, unit=units["b"], day=DAY, zero=True, via=COMMAND)
    assert list(selectors.report_list(actor=world.grid_worker_a)) == [mine]
    assert list(selectors.report_list(actor=world.grid_worker_b)) == [theirs]
    assert selectors.access_report(actor=world.grid_worker_a, uid=mine.uid) == mine
    with pytest.raises(Http404):
        selectors.access_report(actor=world.grid_worker_a, uid=theirs.uid)
    assert list(selectors.my_units(actor=world.grid_worker_a)) == [units["a"]]
    assert list(selectors.unit_list(actor=world.grid_worker_a)) == [units["a"]]
    with pytest.raises(Http404):
        selectors.access_unit(actor=world.grid_worker_a, uid=units["b"].uid)
    due = selectors.reports_due(actor=world.grid_worker_a, now=local(DAY, 9, 30))
    assert {d.unit for d in due} == {units["a"]}


def test_a_street_officer_sees_nothing_of_another_street(world, units, frozen):
    t = template(world)
    units["b"].reporters.add(world.grid_worker_b)
    units["a"].webhook_url = ""
    frozen(local(DAY, 9))
    report_a = submit(world, t, units["a"])
    services.duty_roster_set(actor=world.street_officer_a, unit=units["a"], day=DAY, entries=[{"name": "王", "phone": "13900001111"}],
                             via=COMMAND)
    services.reminders_create(now=local(DAY, 10, 40))    # reminds community b (a has reported)
    a = ReportingUnit.objects.filter(org_path__startswith=world.street_a.path)
    b_officer = world.street_officer_b
    m = selectors.completeness_matrix(actor=b_officer, template=t, since=DAY, until=DAY)
    assert [r.unit.name for r in m.rows] == ["西湖社区"]
    assert not set(selectors.units_missing(actor=b_officer, template=t, day=DAY)) & set(a)
    assert not selectors.report_list(actor=b_officer).filter(unit__in=a).exists()
    with pytest.raises(Http404):
        selectors.access_report(actor=b_officer, uid=report_a.uid)
    assert list(selectors.reminder_list(actor=b_officer).values_list("unit__name", flat=True)) == ["西湖社区"]
    assert list(selectors.reminder_list(actor=world.street_officer_a)) == []
    assert list(selectors.duty_roster(actor=b_officer, day=DAY)) == []
    assert [e.name for e in selectors.duty_roster(actor=world.street_officer_a, day=DAY)] == ["王"]
    assert not selectors.unit_list(actor=b_officer).filter(pk__in=a).exists()
