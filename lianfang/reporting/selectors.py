"""Reads of daily reporting, scoped by the actor: the units, and completeness and timeliness
(units × days; rates like DHIS2's reporting rate and reporting rate on time)."""

import datetime as dt
from dataclasses import dataclass, field

from decimal import Decimal, InvalidOperation

from django.db.models import Q, QuerySet
from django.utils import timezone

from lianfang.core import clock
from lianfang.core.models import PATH_SEGMENT, OrgUnit
from lianfang.core.figures import SOURCES
from lianfang.core.scoping import _one_or_404, scoped, scoped_or, subtree_q

from .models import (
    TREE_KINDS, Brief, DailyReport, DutyEntry, DutyRole, FieldKind, Reminder, ReportField, ReportingUnit, ReportTemplate, UnitKind,
)


class Cell:
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"    # the deadline passed without a report
    PENDING = "pending"    # not in yet, the deadline has not passed
    NOT_DUE = "not_due"    # a day still to come, or before the template was set up


def reporting_unit_list(*, actor, template: ReportTemplate | None = None, org: OrgUnit | None = None) -> QuerySet[ReportingUnit]:
    """The units that report, in the actor's jurisdiction, and those the actor reports for (a
    grid worker's community sits above their grid)."""
    qs = scoped_or(ReportingUnit.objects.filter(is_active=True), actor, _theirs(actor, "pk"))
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if template is not None:
        qs = qs.filter(kind__in=template.unit_kinds, district_id=template.district_id)
    return qs


@dataclass
class MatrixRow:
    unit: ReportingUnit
    cells: list[str]
    zero: list[bool]
    reports: list = field(default_factory=list)    # the report of each day (its uid), to open from the cell


@dataclass
class Matrix:
    template: ReportTemplate
    days: list[dt.date]
    rows: list[MatrixRow] = field(default_factory=list)

    def _count(self, *states: str) -> int:
        return sum(1 for r in self.rows for c in r.cells if c in states)

    @property
    def expected(self) -> int:
        """Reports whose deadline has passed, and any already in (DHIS2's expected reports)."""
        return self._count(Cell.ON_TIME, Cell.LATE, Cell.MISSING)

    @property
    def submitted(self) -> int:
        return self._count(Cell.ON_TIME, Cell.LATE)

    @property
    def on_time(self) -> int:
        return self._count(Cell.ON_TIME)

    @property
    def zero(self) -> int:
        return sum(sum(r.zero) for r in self.rows)

    @property
    def reporting_rate(self) -> float | None:
        return self.submitted / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


def completeness_matrix(*, actor, template: ReportTemplate, since: dt.date, until: dt.date, org: OrgUnit | None = None,
                        now: dt.datetime | None = None) -> Matrix:
    """Every unit that reports `template` under `org` (the actor's jurisdiction by default) × every
    day: on time, late, missing, still pending, or not due; zero reports marked. Two queries."""
    now = now or clock.now()
    days = [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]
    units = list(reporting_unit_list(actor=actor, template=template, org=org))
    reports = {(u, d): (zero, late, uid) for u, d, zero, late, uid in DailyReport.objects.filter(
        template=template, unit__in=units, day__gte=since, day__lte=until).values_list("unit_id", "day", "is_zero", "is_late", "uid")}
    deadlines = {d: template.deadline_for(d) for d in days}
    today = timezone.localdate(now)
    matrix = Matrix(template, days)
    for unit in units:
        cells, zeros, uids = [], [], []
        for d in days:
            found = reports.get((unit.pk, d))
            if found is not None:
                cells.append(Cell.LATE if found[1] else Cell.ON_TIME)
            elif d > today or not template.asks(d, today=today):
                cells.append(Cell.NOT_DUE)
            else:
                cells.append(Cell.MISSING if now > deadlines[d] else Cell.PENDING)
            zeros.append(bool(found and found[0]))
            uids.append(found[2] if found else None)
        matrix.rows.append(MatrixRow(unit, cells, zeros, uids))
    return matrix


def units_missing(*, actor, template: ReportTemplate, day: dt.date, org: OrgUnit | None = None) -> QuerySet[ReportingUnit]:
    """The units that have not reported `day` yet, with whom to call (head, phone)."""
    done = DailyReport.objects.filter(template=template, day=day).values("unit_id")
    return reporting_unit_list(actor=actor, template=template, org=org).exclude(pk__in=done).order_by("org_path", "name")


def template_list(*, actor, active_only: bool = False) -> QuerySet[ReportTemplate]:
    """The templates of the actor's district (a street sees the district's templates too)."""
    if getattr(actor, "jurisdiction", None) is None:
        return ReportTemplate.objects.none()
    qs = ReportTemplate.objects.filter(org_path=actor.jurisdiction.path[:PATH_SEGMENT])    # the district is the root
    return qs.filter(is_active=True) if active_only else qs


def access_template(*, actor, uid) -> ReportTemplate:
    return _one_or_404(template_list(actor=actor), uid=uid)


def _theirs(actor, unit_field: str) -> Q:
    """Rows of the units the actor reports for or heads, wherever they sit in the tree (a
    department's reporter need not have the district as jurisdiction). A subquery, not a join,
    so no row comes twice."""
    return Q(**{f"{unit_field}__in": ReportingUnit.objects.filter(Q(reporters=actor) | Q(head=actor)).values("pk")})


def unit_list(*, actor) -> QuerySet[ReportingUnit]:
    """Every unit the actor may see: their jurisdiction's, and their own."""
    return scoped_or(ReportingUnit.objects.all(), actor, _theirs(actor, "pk"))


def access_unit(*, actor, uid) -> ReportingUnit:
    return _one_or_404(unit_list(actor=actor), uid=uid)


def access_report(*, actor, uid) -> DailyReport:
    qs = scoped_or(DailyReport.objects.select_related("template", "unit", "submitted_by", "signed_off_by"), actor,
                   _theirs(actor, "unit"))
    return _one_or_404(qs, uid=uid)


def brief_list(*, actor) -> QuerySet[Brief]:
    """The district's briefs: every official of the district reads them (本期发)."""
    if getattr(actor, "jurisdiction", None) is None:
        return Brief.objects.none()
    return Brief.objects.filter(org_path=actor.jurisdiction.path[:PATH_SEGMENT])


def access_brief(*, actor, uid) -> Brief:
    return _one_or_404(brief_list(actor=actor), uid=uid)


@dataclass
class FormField:
    field: ReportField
    value: object
    prefilled: object = None    # what the records say, for a sourced field
    source_title: str = ""      # the figure it comes from ("… today" on today's form)


@dataclass
class ReportForm:
    template: ReportTemplate
    unit: ReportingUnit
    day: dt.date
    deadline: dt.datetime
    report: DailyReport | None
    fields: list[FormField]

    @property
    def sections(self) -> list[tuple[str, list[FormField]]]:
        out: dict[str, list[FormField]] = {}
        for f in self.fields:
            out.setdefault(f.field.section, []).append(f)
        return list(out.items())


def report_form(*, actor, template: ReportTemplate, unit: ReportingUnit, day: dt.date) -> ReportForm:
    """The unit's form of `day`: the sourced figures pre-filled from the records (live), the
    values already submitted if any."""
    from .services import report_prefill

    report = DailyReport.objects.filter(template=template, unit=unit, day=day).select_related("submitted_by").first()
    prefill = report_prefill(template=template, unit=unit, day=day)
    fields = []
    today = day == clock.today()
    for f in template.fields.all():
        value = report.values.get(f.key) if report is not None else prefill.get(f.key)
        source = SOURCES.get(f.source)
        title = (source.title() if today else str(source.label)) if source else ""
        fields.append(FormField(f, value, prefill.get(f.key) if f.source else None, title))
    return ReportForm(template, unit, day, template.deadline_for(day), report, fields)


def report_list(*, actor, template: ReportTemplate | None = None, org: OrgUnit | None = None, since: dt.date | None = None,
                until: dt.date | None = None) -> QuerySet[DailyReport]:
    qs = scoped_or(DailyReport.objects.select_related("template", "unit", "submitted_by"), actor, _theirs(actor, "unit"))
    if template is not None:
        qs = qs.filter(template=template)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if since is not None:
        qs = qs.filter(day__gte=since)
    if until is not None:
        qs = qs.filter(day__lte=until)
    return qs.order_by("-day", "org_path", "unit__name")


def my_units(*, actor) -> QuerySet[ReportingUnit]:
    """The units the actor reports for (or heads)."""
    return ReportingUnit.objects.filter(_theirs(actor, "pk"), is_active=True).order_by("org_path", "name")


@dataclass
class Due:
    template: ReportTemplate
    unit: ReportingUnit
    day: dt.date
    deadline: dt.datetime
    report: DailyReport | None

    @property
    def overdue(self) -> bool:
        return self.report is None and clock.now() > self.deadline


def reports_due(*, actor, now: dt.datetime | None = None) -> list[Due]:
    """The actor's forms of today, and of yesterday when still open (a next-morning deadline) or
    missed: what the home page and the menu remind them of."""
    now = now or clock.now()
    today = timezone.localdate(now)
    units = list(my_units(actor=actor))
    if not units:
        return []
    templates = [t for t in ReportTemplate.objects.filter(is_active=True, district_id__in={u.district_id for u in units})]
    days = [today - dt.timedelta(days=1), today]
    reports = {(r.template_id, r.unit_id, r.day): r for r in DailyReport.objects.filter(
        unit__in=units, day__in=days, template__in=templates)}
    out = []
    for template in templates:
        for unit in units:
            if unit.kind not in template.unit_kinds or unit.district_id != template.district_id:
                continue
            for day in days:
                report = reports.get((template.pk, unit.pk, day))
                if day < today and (report is not None or not template.asks(day, today=today)):
                    continue    # yesterday's, done (or from before the template)
                out.append(Due(template, unit, day, template.deadline_for(day), report))
    return out


def reports_due_count(*, actor) -> int:
    return sum(1 for d in reports_due(actor=actor) if d.report is None)


def reminder_list(*, actor, template: ReportTemplate | None = None, day: dt.date | None = None) -> QuerySet[Reminder]:
    qs = scoped_or(Reminder.objects.select_related("template", "unit"), actor, _theirs(actor, "unit"))
    if template is not None:
        qs = qs.filter(template=template)
    if day is not None:
        qs = qs.filter(day=day)
    return qs


def duty_roster(*, actor, day: dt.date, org: OrgUnit | None = None) -> QuerySet[DutyEntry]:
    qs = scoped(DutyEntry.objects.select_related("unit"), actor).filter(day=day)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    return qs.order_by("org_path", "unit__name", "role", "name")


# --- Roll-up --------------------------------------------------------------------------------

def counted_kinds(template: ReportTemplate) -> set[str]:
    """The units whose reports are summed: the finest level of the tree that reports (a street's
    own report would count its communities twice) and the departments."""
    kinds = set(template.unit_kinds)
    if UnitKind.COMMUNITY in kinds:
        kinds.discard(UnitKind.STREET)
    return kinds


@dataclass
class RollupRow:
    label: str
    org: OrgUnit | None           # a node to drill into, or None
    unit: ReportingUnit | None    # a single unit: its report is the drill-down
    report: DailyReport | None = None
    units: int = 0
    reported: int = 0
    zero: int = 0
    sums: dict = field(default_factory=dict)
    texts: list = field(default_factory=list)


@dataclass
class Rollup:
    template: ReportTemplate
    day: dt.date
    org: OrgUnit | None
    fields: list[ReportField]
    rows: list[RollupRow]
    total: RollupRow


def _number(value) -> Decimal | None:
    """A stored value as a number to sum; None for what is not one (a field whose type changed)."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _tidy(value: Decimal):
    """Sums read as the numbers they are: 12, not 12.0; decimals stay decimals."""
    return int(value) if value == value.to_integral_value() else value.normalize()


def _texts(row: RollupRow, texts: list[ReportField], report: DailyReport | None) -> None:
    for f in texts:
        if report is not None and report.values.get(f.key):
            row.texts.append((report.unit.name, f.label, report.values[f.key]))


def _add(row: RollupRow, numbers: list[ReportField], texts: list[ReportField], report: DailyReport | None) -> None:
    row.units += 1
    _texts(row, texts, report)
    if report is None:
        return
    row.reported += 1
    row.zero += report.is_zero
    for f in numbers:
        value = _number(report.values.get(f.key))
        if value is not None:
            row.sums[f.key] = row.sums.get(f.key, 0) + value


def rollup(*, actor, template: ReportTemplate, day: dt.date, org: OrgUnit | None = None) -> Rollup:
    """The day's figures of `template` summed up the tree under `org` (the actor's jurisdiction):
    a row per child node (a street: the sum of its communities), a row per unit reporting at
    the node itself (departments, or the node's own unit), and the total. Three queries."""
    org = org or actor.jurisdiction
    fields = [f for f in template.fields.all()]
    numbers = [f for f in fields if f.kind in (FieldKind.INTEGER, FieldKind.DECIMAL)]
    texts = [f for f in fields if f.kind == FieldKind.TEXT]
    units = list(reporting_unit_list(actor=actor, template=template, org=org))
    reports = {r.unit_id: r for r in DailyReport.objects.filter(template=template, day=day, unit__in=units).select_related("unit")}
    depth = len(org.path) + PATH_SEGMENT
    children = {c.path: c for c in OrgUnit.objects.filter(subtree_q("path", org.path), depth=org.depth + 1)}
    counted = counted_kinds(template)
    rows: dict = {}
    total = RollupRow(org.name, org, None)
    for unit in units:
        report = reports.get(unit.pk)
        child = children.get(unit.org_path[:depth]) if unit.kind in TREE_KINDS else None
        if unit.kind not in counted:
            # A street's own report beside its communities': its words count, its numbers would twice.
            _texts(rows.setdefault(("org", child.path), RollupRow(child.name, child, None)) if child else total, texts, report)
            continue
        if child is not None:
            row = rows.setdefault(("org", child.path), RollupRow(child.name, child, None))
        else:    # reports at the node itself: a department, or the node's own unit
            row = rows.setdefault(("unit", unit.pk), RollupRow(unit.name, None, unit, report))
        _add(row, numbers, texts, report)
        _add(total, numbers, [], report)
    total.texts = [t for r in rows.values() for t in r.texts] + total.texts
    for row in [*rows.values(), total]:
        row.sums = {k: _tidy(v) for k, v in row.sums.items()}
    ordered = sorted(rows.values(), key=lambda r: (r.org is None, r.org.path if r.org else "", r.label))
    return Rollup(template, day, org, fields, ordered, total)


def brief_content(*, actor, district: OrgUnit, day: dt.date, templates: list[ReportTemplate] | None = None) -> dict:
    """What a brief says, as plain data kept with the issue: per template the district's totals
    and completeness; a section per street and per department with its figures and the free
    text of its reports; the day's 24-hour duty roster."""
    templates = templates if templates is not None else list(template_list(actor=actor, active_only=True).filter(district=district))
    out = {"day": str(day), "templates": [], "sections": {}, "duty": []}
    for template in templates:
        roll = rollup(actor=actor, template=template, day=day, org=district)
        matrix = completeness_matrix(actor=actor, template=template, since=day, until=day, org=district)
        numbers = [f for f in roll.fields if f.kind in (FieldKind.INTEGER, FieldKind.DECIMAL)]
        out["templates"].append({
            "name": template.name, "expected": matrix.expected, "submitted": matrix.submitted, "on_time": matrix.on_time,
            "zero": matrix.zero, "missing": [r.unit.name for r in matrix.rows if r.cells[0] in (Cell.MISSING, Cell.PENDING)],
            "figures": [{"label": f.label, "value": plain_number(roll.total.sums.get(f.key, 0))} for f in numbers],
        })
        for row in roll.rows:
            section = out["sections"].setdefault(row.label, {"name": row.label, "department": row.org is None, "parts": []})
            section["parts"].append({
                "template": template.name, "units": row.units, "reported": row.reported, "zero": row.zero,
                "figures": [{"label": f.label, "value": plain_number(row.sums[f.key])} for f in numbers if row.sums.get(f.key)],
                "texts": [{"unit": u, "label": label, "text": text} for u, label, text in row.texts],
            })
    out["sections"] = list(out["sections"].values())
    units_by_pk: dict = {}
    for entry in duty_roster(actor=actor, day=day, org=district).filter(unit__kind__in=[UnitKind.STREET, *DEPARTMENT_KINDS]):
        unit = units_by_pk.setdefault(entry.unit_id, {"unit": entry.unit.name, "duty_phone": entry.unit.duty_phone,
                                                      "leader": "", "leader_phone": "", "officers": []})
        if entry.role == DutyRole.LEADER:
            unit["leader"], unit["leader_phone"] = entry.name, entry.phone
        else:
            unit["officers"].append({"name": entry.name, "phone": entry.phone})
    out["duty"] = list(units_by_pk.values())
    return out


DEPARTMENT_KINDS = [k for k in UnitKind.values if k not in TREE_KINDS]


def plain_number(value):
    """A summed figure as JSON keeps it: whole numbers as numbers, decimals as exact strings."""
    return int(value) if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral()) else str(value)
