"""The numbered daily brief and the 24-hour duty roster, by the tester."""

import datetime as dt

import pytest

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditEntry, Level
from lianfang.core.roles import Role
from lianfang.core.tests.factories import make_org, make_user

from .. import selectors, services
from ..models import Brief, BriefCounter, DutyEntry, ReportingUnit
from .factories import DAY, local

FIELDS = [{"key": "visited", "label": "走访户数"}, {"key": "note", "label": "工作亮点", "kind": "text", "required": False}]


@pytest.fixture
def daily(world, units):
    t = services.report_template_save(actor=world.district_office, district=world.district, name="走访日报",
                                      unit_kinds=["community"], deadline=dt.time(10), fields=FIELDS, via=COMMAND)
    units["b"].reporters.add(world.grid_worker_b)
    return t


def issue(world, day=DAY, actor=None, district=None, **kw):
    kw.setdefault("again", True)    # most tests issue several briefs of one day; the refusal has its own test
    return services.brief_issue(actor=actor or world.district_office, district=district or world.district, day=day, via=COMMAND, **kw)


def test_briefs_are_numbered_one_two_three_per_district(world, daily, frozen):
    frozen(local(DAY, 18))
    assert [issue(world).number for _ in range(3)] == [1, 2, 3]
    other = make_org(name="别区", level=Level.DISTRICT, code="110106")
    office = make_user(username="other_office", role=Role.DISTRICT_OFFICE, jurisdiction=other)
    assert issue(world, actor=office, district=other).number == 1
    assert issue(world).number == 4
    assert sorted(Brief.objects.filter(district=world.district).values_list("number", flat=True)) == [1, 2, 3, 4]
    assert BriefCounter.objects.get(district=world.district).last_number == 4
    assert list(selectors.brief_list(actor=office)) == list(Brief.objects.filter(district=other))
    assert AuditEntry.objects.filter(object_type="daily_brief").count() == 5


def test_a_refused_brief_takes_no_number(world, daily, frozen):
    frozen(local(DAY, 18))
    issue(world)
    with pytest.raises(DomainError):
        issue(world, day=DAY + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        issue(world, actor=world.street_officer_a)
    assert issue(world).number == 2


@pytest.mark.parametrize("who", ["street_officer_a", "grid_worker_a", "supervision", "doctor_a"])
def test_only_the_district_office_issues(world, daily, frozen, who):
    frozen(local(DAY, 18))
    with pytest.raises(PermissionDenied):
        issue(world, actor=getattr(world, who))
    assert not Brief.objects.exists()


def test_a_day_to_come_has_no_brief_but_today_has(world, daily, frozen):
    frozen(local(DAY, 0, 0, 1))
    with pytest.raises(DomainError) as e:
        issue(world, day=DAY + dt.timedelta(days=1))
    assert e.value.field == "day" and not Brief.objects.exists()
    assert issue(world, day=DAY).day == DAY


def test_the_content_is_the_days_figures_and_stays_as_issued(world, units, daily, frozen):
    frozen(local(DAY, 9))
    services.daily_report_submit(actor=world.grid_worker_a, template=daily, unit=units["a"], day=DAY,
                                 values={"visited": 12, "note": "完成核酸采样"}, via=COMMAND)
    services.duty_roster_set(actor=world.district_office, unit=ReportingUnit.objects.get(org=world.street_a), day=DAY,
                             entries=[{"role": "leader", "name": "赵书记", "phone": "13900001111"},
                                      {"name": "钱干事", "phone": "13900002222"}], via=COMMAND)
    frozen(local(DAY, 10, 30))
    brief = issue(world, send_to="区委、区政府", copy_to="各街道", editors="孙编辑", highlights="  总体平稳  ")
    assert (brief.send_to, brief.copy_to, brief.editors, brief.highlights) == ("区委、区政府", "各街道", "孙编辑", "总体平稳")
    assert "测试区" in brief.office and brief.title
    (tpl,) = brief.content["templates"]
    assert (tpl["name"], tpl["expected"], tpl["submitted"], tpl["on_time"], tpl["missing"]) == ("走访日报", 2, 1, 1, ["西湖社区"])
    assert tpl["figures"] == [{"label": "走访户数", "value": 12}]
    sections = {s["name"]: s for s in brief.content["sections"]}
    assert sections["东风街道"]["parts"][0]["texts"] == [{"unit": "东风社区", "label": "工作亮点", "text": "完成核酸采样"}]
    assert sections["西湖街道"]["parts"][0]["reported"] == 0
    assert brief.content["duty"] == [{"unit": "东风街道", "duty_phone": "", "leader": "赵书记", "leader_phone": "13900001111",
                                      "officers": [{"name": "钱干事", "phone": "13900002222"}]}]
    snapshot = Brief.objects.get(pk=brief.pk).content
    frozen(local(DAY, 11))
    services.daily_report_submit(actor=world.grid_worker_b, template=daily, unit=units["b"], day=DAY, values={"visited": 30}, via=COMMAND)
    report = services.daily_report_submit(actor=world.grid_worker_a, template=daily, unit=units["a"], day=DAY - dt.timedelta(days=1),
                                          zero=True, via=COMMAND)
    services.daily_report_correct(actor=world.grid_worker_a, report=report, values={"visited": 1}, reason="改", via=COMMAND)
    assert Brief.objects.get(pk=brief.pk).content == snapshot
    later = issue(world)
    assert later.number == 2 and later.content["templates"][0]["figures"] == [{"label": "走访户数", "value": 42}]


def test_everyone_of_the_district_reads_the_briefs_and_no_one_else(world, daily, frozen):
    frozen(local(DAY, 18))
    brief = issue(world)
    assert selectors.access_brief(actor=world.grid_worker_b, uid=brief.uid) == brief
    other = make_org(name="别区", level=Level.DISTRICT, code="110106")
    outsider = make_user(username="other_office", role=Role.DISTRICT_OFFICE, jurisdiction=other)
    assert list(selectors.brief_list(actor=outsider)) == []


# --- duty roster ----------------------------------------------------------------------------

def roster(unit, day=DAY):
    return sorted((e.role, e.name, e.phone) for e in DutyEntry.objects.filter(unit=unit, day=day))


def test_a_roster_is_replaced_as_a_whole(world, units):
    a = units["a"]
    services.duty_roster_set(actor=world.grid_worker_a, unit=a, day=DAY, via=COMMAND,
                             entries=[{"role": "leader", "name": "王", "phone": "13900001111"}, {"name": "李", "phone": "139 0000 2222"}])
    assert roster(a) == [("leader", "王", "13900001111"), ("officer", "李", "13900002222")]
    services.duty_roster_set(actor=world.street_officer_a, unit=a, day=DAY, via=COMMAND, entries=[{"name": "周", "phone": "13900003333"}])
    assert roster(a) == [("officer", "周", "13900003333")]
    assert roster(a, DAY + dt.timedelta(days=1)) == []
    services.duty_roster_set(actor=world.grid_worker_a, unit=a, day=DAY, via=COMMAND, entries=[])
    assert roster(a) == []


BAD = [
    ("missing phone", [{"name": "王", "phone": ""}], "entries.0.phone"),
    ("bad phone", [{"name": "王", "phone": "12345"}], "entries.0.phone"),
    ("missing name", [{"name": " ", "phone": "13900001111"}], "entries.0.name"),
    ("two leaders", [{"role": "leader", "name": "王", "phone": "13900001111"}, {"role": "leader", "name": "李", "phone": "13900002222"}],
     "entries"),
    ("same name twice", [{"name": "王", "phone": "13900001111"}, {"name": "王", "phone": "13900002222"}], "entries.1.name"),
    ("unknown role", [{"role": "boss", "name": "王", "phone": "13900001111"}], "entries.0.role"),
]


@pytest.mark.parametrize("case, entries, field", BAD, ids=[b[0] for b in BAD])
def test_a_bad_roster_is_refused_and_the_old_one_stays(world, units, case, entries, field):
    a = units["a"]
    services.duty_roster_set(actor=world.grid_worker_a, unit=a, day=DAY, via=COMMAND, entries=[{"name": "旧", "phone": "13900009999"}])
    with pytest.raises(DomainError) as e:
        services.duty_roster_set(actor=world.grid_worker_a, unit=a, day=DAY, via=COMMAND, entries=entries)
    assert e.value.field == field
    assert roster(a) == [("officer", "旧", "13900009999")]


def test_a_street_officer_cannot_set_another_streets_roster(world, units):
    for actor in (world.street_officer_b, world.grid_worker_b):
        with pytest.raises(PermissionDenied):
            services.duty_roster_set(actor=actor, unit=units["a"], day=DAY, via=COMMAND, entries=[{"name": "王", "phone": "13900001111"}])
    assert roster(units["a"]) == []
    services.duty_roster_set(actor=world.street_officer_b, unit=units["b"], day=DAY, via=COMMAND,
                             entries=[{"name": "王", "phone": "13900001111"}])
    assert roster(units["b"]) == [("officer", "王", "13900001111")]
    assert [e.unit for e in selectors.duty_roster(actor=world.street_officer_a, day=DAY)] == []
    assert [e.unit for e in selectors.duty_roster(actor=world.district_office, day=DAY)] == [units["b"]]
