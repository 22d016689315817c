"""Writes of daily reporting: the reporting units, submitting (or a zero report), correcting and
signing off. Templates are defined by the district office (the admin, for now)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lianfang.core import clock
from lianfang.core.audit import Via, audit_record, changed_fields
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.figures import figures_for
from lianfang.core.models import AuditAction, Level, OrgUnit
from lianfang.core.roles import Capability
from lianfang.core.scoping import subtree_q
from lianfang.core.services import require

from .models import DailyReport, DailyReportRevision, FieldKind, ReportField, ReportingUnit, ReportTemplate, UnitKind

LEVEL_KIND = {Level.STREET: UnitKind.STREET, Level.COMMUNITY: UnitKind.COMMUNITY}


@transaction.atomic
def reporting_units_sync(*, district: OrgUnit) -> int:
    """Every street and community of the district reports: one unit each (idempotent)."""
    nodes = OrgUnit.objects.filter(subtree_q("path", district.path), level__in=list(LEVEL_KIND)).exclude(reporting_unit__isnull=False)
    units = [ReportingUnit(district=district, kind=LEVEL_KIND[n.level], org=n, org_path=n.path, name=n.name) for n in nodes]
    ReportingUnit.objects.bulk_create(units)
    return len(units)


def _clean_value(field: ReportField, raw):
    """A typed value of one field; None when empty. DomainError names the field."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if field.kind == FieldKind.INTEGER:
        try:
            value = int(Decimal(text))
        except (InvalidOperation, ValueError):
            raise DomainError(_("%(field)s: a whole number.") % {"field": field.label}, field=field.key)
        if value < 0 or Decimal(text) != value:
            raise DomainError(_("%(field)s: a whole number, 0 or more.") % {"field": field.label}, field=field.key)
        return value
    if field.kind == FieldKind.DECIMAL:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise DomainError(_("%(field)s: a number.") % {"field": field.label}, field=field.key)
        if not value.is_finite():
            raise DomainError(_("%(field)s: a number.") % {"field": field.label}, field=field.key)
        return str(value)
    if field.kind == FieldKind.YES_NO:
        if raw in (True, False):
            return raw
        if text.lower() in ("yes", "true", "1", "是"):
            return True
        if text.lower() in ("no", "false", "0", "否"):
            return False
        raise DomainError(_("%(field)s: yes or no.") % {"field": field.label}, field=field.key)
    if field.kind == FieldKind.CHOICE and text not in field.choices:
        raise DomainError(_("%(field)s: choose one of %(choices)s.") % {"field": field.label, "choices": "、".join(field.choices)},
                          field=field.key)
    return text[:2000]


def report_values_clean(*, template: ReportTemplate, values: dict) -> dict:
    fields = list(template.fields.all())
    unknown = set(values) - {f.key for f in fields}
    if unknown:
        raise DomainError(_("Unknown fields: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}, field=sorted(unknown)[0])
    out = {}
    for field in fields:
        value = _clean_value(field, values.get(field.key))
        if value is None and field.required:
            raise DomainError(_("%(field)s is required.") % {"field": field.label}, field=field.key)
        if value is not None:
            out[field.key] = value
    return out


def report_prefill(*, template: ReportTemplate, unit: ReportingUnit, day: dt.date) -> dict:
    """{field key: value} of the sourced fields, computed from the records for the unit and day.
    A department has no node of the tree, so nothing is pre-filled for it."""
    sourced = {f.key: f.source for f in template.fields.all() if f.source}
    if not sourced or unit.org_id is None:
        return {}
    figures = figures_for(paths=[unit.org_path], parent_path=unit.org_path, names=sorted(set(sourced.values())), day=day)
    return {key: figures[name][unit.org_path] for key, name in sourced.items()}


def _may_report(actor, unit: ReportingUnit) -> None:
    require(actor, Capability.SUBMIT_REPORTS)
    if not unit.reporters.filter(pk=actor.pk).exists() and unit.head_id != actor.pk:
        raise PermissionDenied(_("You do not report for %(unit)s.") % {"unit": unit.name})


def _check_applies(template: ReportTemplate, unit: ReportingUnit, day: dt.date) -> None:
    if not template.is_active or unit.kind not in template.unit_kinds or unit.district_id != template.district_id:
        raise DomainError(_("%(unit)s does not report %(template)s.") % {"unit": unit.name, "template": template.name}, field="template")
    if day > clock.today():
        raise DomainError(_("A day that has not come yet cannot be reported."), field="day")


@transaction.atomic
def daily_report_submit(*, actor, template: ReportTemplate, unit: ReportingUnit, day: dt.date, values: dict | None = None,
                        zero: bool = False, via: Via) -> DailyReport:
    """Submit the day's report, or a zero report ("nothing new today": no values). Once per unit
    and day: a second submission is a correction (daily_report_correct)."""
    _may_report(actor, unit)
    _check_applies(template, unit, day)
    cleaned = {} if zero else report_values_clean(template=template, values=values or {})
    now = clock.now()
    try:
        with transaction.atomic():
            report = DailyReport.objects.create(
                template=template, unit=unit, org_path=unit.org_path, day=day, values=cleaned, is_zero=zero,
                prefilled=report_prefill(template=template, unit=unit, day=day), submitted_at=now, submitted_by=actor,
                is_late=now > template.deadline_for(day))
    except IntegrityError:
        raise DomainError(_("%(unit)s has already reported %(day)s; correct that report instead.") % {"unit": unit.name, "day": day},
                          code="already_reported")
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="daily_report", object_ref=report.uid,
                 object_label=str(report), org_path=report.org_path, detail={"zero": zero, "late": report.is_late})
    return report


@transaction.atomic
def daily_report_correct(*, actor, report: DailyReport, values: dict | None = None, zero: bool = False, reason: str,
                         via: Via) -> DailyReport:
    """Correct a submitted report: the earlier values stay as a revision, the sign-off is
    cleared, and whether it was late stays as it was first submitted."""
    report = DailyReport.objects.select_for_update().select_related("template", "unit").get(pk=report.pk)
    _may_report(actor, report.unit)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what was wrong."), field="reason")
    cleaned = {} if zero else report_values_clean(template=report.template, values=values or {})
    DailyReportRevision.objects.create(report=report, revision=report.revision, values=report.values, is_zero=report.is_zero,
                                       submitted_at=report.submitted_at, submitted_by=report.submitted_by, replaced_by=actor,
                                       reason=reason)
    detail = changed_fields(report.values, cleaned)
    report.values, report.is_zero, report.revision = cleaned, zero, report.revision + 1
    report.submitted_at, report.submitted_by = clock.now(), actor
    report.signed_off_at = report.signed_off_by = None
    report.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="daily_report", object_ref=report.uid,
                 object_label=str(report), org_path=report.org_path, detail={"revision": report.revision, "reason": reason, **detail})
    return report


@transaction.atomic
def daily_report_sign_off(*, actor, report: DailyReport, via: Via) -> DailyReport:
    """The unit's head confirms the report (审核)."""
    report = DailyReport.objects.select_for_update().select_related("unit").get(pk=report.pk)
    if report.unit.head_id is None or report.unit.head_id != actor.pk:
        raise PermissionDenied(_("Only the head of %(unit)s signs its reports off.") % {"unit": report.unit.name})
    if report.signed_off_at is not None:
        raise DomainError(_("This report is already signed off."), code="bad_transition")
    report.signed_off_at, report.signed_off_by = clock.now(), actor
    report.save(update_fields=["signed_off_at", "signed_off_by"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="daily_report", object_ref=report.uid,
                 object_label=str(report), org_path=report.org_path, detail={"signed_off": True})
    return report

