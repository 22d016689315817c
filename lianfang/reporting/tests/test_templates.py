"""Templates, by the tester: what the district office may save, that a refused save stores
nothing, and that editing a template keeps the reports already in."""

import datetime as dt

import pytest

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditEntry

from .. import selectors, services
from ..models import DailyReport, ReportField, ReportRule, ReportTemplate
from .factories import DAY, local

FIELDS = [{"key": "in_scope", "label": "在管户数", "section": "走访"}, {"key": "visited", "label": "走访户数", "section": "走访"},
          {"key": "note", "label": "情况", "kind": "text", "required": False}]


def save(world, *, actor=None, template=None, name="走访日报", unit_kinds=("community",), fields=FIELDS, rules=None, **kw):
    return services.report_template_save(actor=actor or world.district_office, district=world.district, template=template, name=name,
                                         unit_kinds=list(unit_kinds), deadline=kw.pop("deadline", dt.time(10)), fields=fields,
                                         rules=rules, via=COMMAND, **kw)


def counts():
    return ReportTemplate.objects.count(), ReportField.objects.count(), ReportRule.objects.count(), \
        AuditEntry.objects.filter(object_type="report_template").count()


def test_a_template_is_saved_with_its_fields_in_order_and_audited(world):
    t = save(world, rules=[{"left": "visited", "op": "le", "right": "in_scope"}], deadline_next_day=True)
    assert [(f.key, f.order, f.section) for f in t.fields.all()] == [("in_scope", 0, "走访"), ("visited", 1, "走访"), ("note", 2, "")]
    assert [(r.left, r.op, r.right) for r in t.rules.all()] == [("visited", "le", "in_scope")]
    assert t.deadline_next_day and t.org_path == world.district.path and t.created_by == world.district_office
    assert counts() == (1, 3, 1, 1)


BAD = [
    ("duplicate key", dict(fields=[{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]), "fields.1.key"),
    ("duplicate after normalising", dict(fields=[{"key": "a_b", "label": "A"}, {"key": "A-B", "label": "B"}]), "fields.1.key"),
    ("key not ascii", dict(fields=[{"key": "走访", "label": "A"}]), "fields.0.key"),
    ("key starts with a digit", dict(fields=[{"key": "1a", "label": "A"}]), "fields.0.key"),
    ("no label", dict(fields=[{"key": "a", "label": "  "}]), "fields.0.label"),
    ("unknown kind", dict(fields=[{"key": "a", "label": "A", "kind": "date"}]), "fields.0.kind"),
    ("unknown source", dict(fields=[{"key": "a", "label": "A", "source": "no_such_figure"}]), "fields.0.source"),
    ("source on a text field", dict(fields=[{"key": "a", "label": "A", "kind": "text", "source": "passages"}]), "fields.0.kind"),
    ("choice with one option", dict(fields=[{"key": "a", "label": "A", "kind": "choice", "choices": ["是", " "]}]), "fields.0.choices"),
    ("choice with none", dict(fields=[{"key": "a", "label": "A", "kind": "choice"}]), "fields.0.choices"),
    ("no fields", dict(fields=[]), "fields"),
    ("rule between text fields", dict(fields=[{"key": "a", "label": "A", "kind": "text"}, {"key": "b", "label": "B", "kind": "text"}],
                                      rules=[{"left": "a", "op": "le", "right": "b"}]), "rules.0"),
    ("rule on an unknown field", dict(rules=[{"left": "visited", "op": "le", "right": "nope"}]), "rules.0"),
    ("rule of a field with itself", dict(rules=[{"left": "visited", "op": "le", "right": "visited"}]), "rules.0"),
    ("rule with an unknown op", dict(rules=[{"left": "visited", "op": "ne", "right": "in_scope"}]), "rules.0.op"),
    ("bad unit kind", dict(unit_kinds=["community", "army"]), "unit_kinds"),
    ("no unit kind", dict(unit_kinds=[]), "unit_kinds"),
    ("no name", dict(name="  "), "name"),
    ("reminder too far", dict(remind_before=24 * 60 + 1), "remind_before"),
    ("negative reminder", dict(remind_after=-1), "remind_before"),
]


@pytest.mark.parametrize("case, kw, field", BAD, ids=[b[0] for b in BAD])
def test_a_bad_template_is_refused_by_field_and_nothing_is_saved(world, case, kw, field):
    before = counts()
    with pytest.raises(DomainError) as e:
        save(world, **kw)
    assert e.value.field == field and e.value.code == "invalid"
    assert counts() == before


def test_a_choice_with_the_same_option_twice_is_refused(world):
    with pytest.raises(DomainError):
        save(world, fields=[{"key": "a", "label": "A", "kind": "choice", "choices": ["是", "是"]}])


def test_a_bad_edit_leaves_the_template_as_it_was(world):
    t = save(world, rules=[{"left": "visited", "op": "le", "right": "in_scope"}])
    before = counts()
    with pytest.raises(DomainError):
        save(world, template=t, name="改名", fields=[{"key": "x", "label": "X"}, {"key": "x", "label": "Y"}])
    t.refresh_from_db()
    assert t.name == "走访日报" and [f.key for f in t.fields.all()] == ["in_scope", "visited", "note"] and t.rules.count() == 1
    assert counts() == before


def test_two_templates_of_a_district_cannot_share_a_name(world):
    save(world)
    other = save(world, name="其他")
    with pytest.raises(DomainError) as e:
        save(world, template=other, name="走访日报")
    assert e.value.field == "name"
    assert ReportTemplate.objects.get(pk=other.pk).name == "其他"


@pytest.mark.parametrize("who", ["street_officer_a", "grid_worker_a", "supervision"])
def test_only_the_district_office_sets_templates_up(world, who):
    before = counts()
    with pytest.raises(PermissionDenied):
        save(world, actor=getattr(world, who))
    assert counts() == before


def test_editing_a_template_keeps_reports_already_in(world, units, frozen):
    t = save(world)
    frozen(local(DAY, 9))
    report = services.daily_report_submit(actor=world.grid_worker_a, template=t, unit=units["a"], day=DAY,
                                          values={"in_scope": 5, "visited": 3, "note": "平稳"}, via=COMMAND)
    t = save(world, template=t, fields=[{"key": "in_scope", "label": "在管户数"}, {"key": "tested", "label": "核酸人数"}],
             deadline=dt.time(8))
    report.refresh_from_db()
    assert report.values == {"in_scope": 5, "visited": 3, "note": "平稳"} and not report.is_late
    assert [f.key for f in t.fields.all()] == ["in_scope", "tested"]
    # The next day asks for the new field; the old report still shows in the matrix.
    m = selectors.completeness_matrix(actor=world.district_office, template=t, since=DAY, until=DAY)
    assert {r.unit.name: r.cells for r in m.rows}["东风社区"] == ["on_time"]
    assert DailyReport.objects.count() == 1
    entry = AuditEntry.objects.filter(object_type="report_template").order_by("-pk").first()
    assert entry.action == "update"


def test_a_field_changed_from_decimal_to_integer_still_rolls_up(world, units, frozen):
    t = save(world, fields=[{"key": "funds", "label": "资金", "kind": "decimal"}])
    frozen(local(DAY, 9))
    services.daily_report_submit(actor=world.grid_worker_a, template=t, unit=units["a"], day=DAY, values={"funds": "1.5"}, via=COMMAND)
    t = save(world, template=t, fields=[{"key": "funds", "label": "资金"}])
    roll = selectors.rollup(actor=world.district_office, template=t, day=DAY)
    assert roll.total.reported == 1


def test_the_street_sees_the_districts_templates_and_no_other_districts(world):
    from lianfang.core.models import Level
    from lianfang.core.roles import Role
    from lianfang.core.tests.factories import make_org, make_user

    mine = save(world)
    other = make_org(name="别区", level=Level.DISTRICT, code="110106")
    office = make_user(username="other_office", role=Role.DISTRICT_OFFICE, jurisdiction=other)
    theirs = services.report_template_save(actor=office, district=other, name="走访日报", unit_kinds=["community"], deadline=dt.time(10),
                                           fields=FIELDS, via=COMMAND)
    assert list(selectors.template_list(actor=world.street_officer_a)) == [mine]
    assert list(selectors.template_list(actor=world.grid_worker_a)) == [mine]
    assert list(selectors.template_list(actor=office)) == [theirs]
    with pytest.raises(PermissionDenied):
        services.report_template_save(actor=world.district_office, district=other, name="越权", unit_kinds=["community"],
                                      deadline=dt.time(10), fields=FIELDS, via=COMMAND)
