"""Ledgers of daily reporting (.xlsx): the submissions (with the template's fields when one
template is chosen), the completeness matrix, the units not reported and the totals. Figures of
units, not lists of people; phones are masked unless the reader may reveal them."""

import dataclasses
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from lianfang.core.audit import Via
from lianfang.core.excel import Column
from lianfang.core.exports import export_list
from lianfang.core.pii import phone_as_seen

from .models import FieldKind
from .selectors import Cell, Matrix

CELL_LABELS = {
    Cell.ON_TIME: gettext_lazy("on time"), Cell.LATE: gettext_lazy("late"), Cell.MISSING: gettext_lazy("missing"),
    Cell.PENDING: gettext_lazy("not yet due"), Cell.NOT_DUE: "",
}


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _value(field, report):
    value = report.values.get(field.key)
    if field.kind == FieldKind.YES_NO and value is not None:
        return _("yes") if value else _("no")
    return value


def report_list_export(*, actor, reports, template, via: Via, filters: dict):
    columns = [
        Column(gettext_lazy("Day"), lambda r: r.day, 11),
        Column(pgettext_lazy("org unit", "Unit"), lambda r: r.unit.name, 16),
        Column(gettext_lazy("Report"), lambda r: r.template.name, 16),
        Column(gettext_lazy("Zero report"), lambda r: yes_no(r.is_zero), 8),
        Column(gettext_lazy("Submitted"), lambda r: r.submitted_at, 16),
        Column(gettext_lazy("By"), lambda r: str(r.submitted_by or ""), 12),
        Column(gettext_lazy("Late"), lambda r: yes_no(r.is_late), 6),
        Column(gettext_lazy("Revision"), lambda r: r.revision, 6),
        Column(gettext_lazy("Signed off"), lambda r: r.signed_off_at, 16),
    ]
    if template is not None:
        columns += [Column(f.label, lambda r, f=f: _value(f, r), 12 if f.kind != FieldKind.TEXT else 30) for f in template.fields.all()]
    name = _safe_name(template.name if template else _("daily reports"))
    return export_list(actor=actor, via=via, object_type="daily_report", queryset=reports, columns=columns, name=name,
                       personal=False, filters=filters)


def matrix_export(*, actor, matrix: Matrix, via: Via, filters: dict):
    """A row per unit, a column per day (on time, late, missing; zero reports marked), and
    each unit's own rates; the totals row last."""
    def state(row, i):
        label = str(CELL_LABELS[row.cells[i]])
        return _("%(state)s, zero report") % {"state": label} if row.zero[i] else label

    def own(row) -> Matrix:
        return Matrix(matrix.template, matrix.days, [row])

    columns = [Column(pgettext_lazy("org unit", "Unit"), lambda r: r.unit.name if r else _("Total"), 16)]
    columns += [Column(d.strftime("%m-%d"), lambda r, i=i: state(r, i) if r else "", 9) for i, d in enumerate(matrix.days)]
    columns += [
        Column(gettext_lazy("Reporting rate"), lambda r: _rate((own(r) if r else matrix).reporting_rate), 10),
        Column(gettext_lazy("On-time rate"), lambda r: _rate((own(r) if r else matrix).on_time_rate), 10),
        Column(gettext_lazy("Zero reports"), lambda r: sum(r.zero) if r else matrix.zero, 8),
    ]
    name = _safe_name(_("%(template)s completeness") % {"template": matrix.template.name})
    return export_list(actor=actor, via=via, object_type="daily_report", queryset=[*matrix.rows, None], columns=columns, name=name,
                       personal=False, filters={k: str(v) for k, v in filters.items()})


def missing_export(*, actor, units: list, template, day, via: Via, filters: dict):
    """The units that have not reported, with whom to call (phones masked unless revealed)."""
    phone = phone_as_seen(actor)
    columns = [
        Column(pgettext_lazy("org unit", "Unit"), lambda u: u.name, 18),
        Column(gettext_lazy("Responsible person"), lambda u: u.head_name, 12),
        Column(gettext_lazy("Phone"), lambda u: phone(u.head_phone), 14),
        Column(gettext_lazy("24-hour duty phone"), lambda u: phone(u.duty_phone), 14),
        Column(gettext_lazy("On duty today"), lambda u: "、".join(f"{e.name} {phone(e.phone)}" for e in u.on_duty), 30),
    ]
    name = _safe_name(_("%(template)s not reported %(day)s") % {"template": template.name, "day": day})
    return export_list(actor=actor, via=via, object_type="reporting_units", queryset=units, columns=columns, name=name,
                       personal=False, filters={k: str(v) for k, v in filters.items()})


def rollup_export(*, actor, roll, numbers: list, via: Via, filters: dict):
    """The day's totals: a row per area or unit, the total last."""
    columns = [
        Column(gettext_lazy("Area or unit"), lambda r: r.label, 18),
        Column(gettext_lazy("Units"), lambda r: r.units, 8),
        Column(gettext_lazy("Reported"), lambda r: r.reported, 8),
        Column(gettext_lazy("Zero reports"), lambda r: r.zero, 8),
    ]
    columns += [Column(f.label, lambda r, f=f: r.sums.get(f.key, 0), 12) for f in numbers]
    name = _safe_name(_("%(template)s totals %(day)s") % {"template": roll.template.name, "day": roll.day})
    total = dataclasses.replace(roll.total, label=_("Total"))
    return export_list(actor=actor, via=via, object_type="daily_report", queryset=[*roll.rows, total], columns=columns, name=name,
                       personal=False, filters={k: str(v) for k, v in filters.items()})


def _safe_name(name: str) -> str:
    """Excel refuses these characters in a sheet name, and file names should not hold them."""
    return re.sub(r"[\[\]:*?/\\]+", " ", name).strip()[:31]
