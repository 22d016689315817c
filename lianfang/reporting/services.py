"""Writes of daily reporting: templates (the district office), the reporting units and their duty
rosters, submitting (or a zero report), correcting and signing off, reminders to the units that
have not reported, and the numbered daily brief."""

import datetime as dt
import json
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import clock
from lianfang.core.audit import Via, audit_record, changed_fields
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.figures import figures_for
from lianfang.core.models import AuditAction, Level, OrgUnit
from lianfang.core.roles import Capability
from lianfang.core.scoping import subtree_q
from lianfang.core.services import phone_clean, require, require_in_jurisdiction

from .models import (
    TREE_KINDS, Brief, BriefCounter, DailyReport, DailyReportRevision, DutyEntry, DutyRole, FieldKind, Reminder, ReportField,
    ReportingUnit, ReportRule, ReportTemplate, RuleOp, UnitKind, WebhookKind,
)

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
    if field.kind in (FieldKind.INTEGER, FieldKind.DECIMAL):
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            message = _("%(field)s: a whole number.") if field.kind == FieldKind.INTEGER else _("%(field)s: a number.")
            raise DomainError(message % {"field": field.label}, field=field.key)
        # Before any arithmetic: "1e999999999" would otherwise keep a worker busy for minutes.
        if number and number.adjusted() >= MAX_DIGITS:
            raise DomainError(_("%(field)s: too large.") % {"field": field.label}, field=field.key)
        if field.kind == FieldKind.DECIMAL:
            if number.as_tuple().exponent < -MAX_DECIMALS:
                raise DomainError(_("%(field)s: at most %(n)s decimals.") % {"field": field.label, "n": MAX_DECIMALS},
                                  field=field.key)
            return format(number, "f")
        if number < 0 or number != number.to_integral_value():
            raise DomainError(_("%(field)s: a whole number, 0 or more.") % {"field": field.label}, field=field.key)
        return int(number)
    if field.kind == FieldKind.YES_NO:
        if isinstance(raw, bool):
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


NUMBER_KINDS = (FieldKind.INTEGER, FieldKind.DECIMAL)
MAX_DIGITS = 15     # digits before the point: more than any count or budget of a district
MAX_DECIMALS = 6
RULE_TEST = {RuleOp.LE: lambda a, b: a <= b, RuleOp.LT: lambda a, b: a < b, RuleOp.EQ: lambda a, b: a == b,
             RuleOp.GE: lambda a, b: a >= b, RuleOp.GT: lambda a, b: a > b}


def _rules_check(template: ReportTemplate, fields: list[ReportField], values: dict) -> None:
    labels = {f.key: f.label for f in fields}
    for rule in template.rules.all():
        a, b = values.get(rule.left), values.get(rule.right)
        if a is None or b is None or RULE_TEST[rule.op](Decimal(str(a)), Decimal(str(b))):
            continue
        raise DomainError(rule.message or _("%(left)s must be %(op)s %(right)s.") % {
            "left": labels.get(rule.left, rule.left), "op": rule.get_op_display(), "right": labels.get(rule.right, rule.right)},
            field=rule.left)


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
    _rules_check(template, fields, out)
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
    if (not template.is_active or not unit.is_active or unit.kind not in template.unit_kinds
            or unit.district_id != template.district_id):
        raise DomainError(_("%(unit)s does not report %(template)s.") % {"unit": unit.name, "template": template.name}, field="template")
    if day > clock.today():
        raise DomainError(_("A day that has not come yet cannot be reported."), field="day")


@transaction.atomic
def daily_report_submit(*, actor, template: ReportTemplate, unit: ReportingUnit, day: dt.date, values: dict | None = None,
                        zero: bool = False, via: Via, uid=None) -> DailyReport:
    """Submit the day's report, or a zero report ("nothing new today": no values). Once per unit
    and day: a second submission is a correction (daily_report_correct). A retry with the same
    client `uid` (a phone that lost the answer) gets the stored report back (`.created` False)."""
    _may_report(actor, unit)
    if uid is not None:
        earlier = DailyReport.objects.filter(uid=uid).first()
        if earlier is not None:
            if (earlier.template_id, earlier.unit_id, earlier.day) != (template.pk, unit.pk, day):
                raise DomainError(_("This submission id was already used for another report."), field="uid", code="conflict")
            earlier.created = False
            return earlier
    _check_applies(template, unit, day)
    prefilled = report_prefill(template=template, unit=unit, day=day)
    # "Nothing new today" still reports what the records say (people under watch, today's
    # counts), so totals and the brief do not drop to 0 for a unit that sent a zero report.
    cleaned = dict(prefilled) if zero else report_values_clean(template=template, values=values or {})
    now = clock.now()
    try:
        with transaction.atomic():
            report = DailyReport.objects.create(
                **({"uid": uid} if uid is not None else {}), template=template, unit=unit, org_path=unit.org_path, day=day,
                values=cleaned, is_zero=zero, prefilled=prefilled, submitted_at=now, submitted_by=actor,
                is_late=now > template.deadline_for(day))
    except IntegrityError:
        earlier = DailyReport.objects.filter(uid=uid).first() if uid is not None else None
        if earlier is not None and (earlier.template_id, earlier.unit_id, earlier.day) == (template.pk, unit.pk, day):
            earlier.created = False    # the same submission raced itself
            return earlier
        raise DomainError(_("%(unit)s has already reported %(day)s; correct that report instead.") % {"unit": unit.name, "day": day},
                          code="already_reported")
    report.created = True
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
    cleaned = dict(report.prefilled) if zero else report_values_clean(template=report.template, values=values or {})
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



# --- Templates (the district office) -------------------------------------------------------

def _require_district_wide(actor, district: OrgUnit) -> None:
    require(actor, Capability.MANAGE_REPORTING)
    require_in_jurisdiction(actor, district.path, _("Only the district command office sets this up."))


def _fields_clean(fields: list[dict]) -> list[ReportField]:
    from lianfang.core.figures import SOURCES

    if not fields:
        raise DomainError(_("A template needs at least one field."), field="fields")
    out, keys = [], set()
    for i, f in enumerate(fields):
        where = _("Field %(n)s") % {"n": i + 1}
        key = slugify_key(f.get("key") or "")
        label = (f.get("label") or "").strip()
        kind = f.get("kind") or FieldKind.INTEGER
        if not key:
            raise DomainError(_("%(where)s: a key of letters, digits and _ (e.g. visited).") % {"where": where}, field=f"fields.{i}.key")
        if key in keys:
            raise DomainError(_("%(where)s: the key %(key)s is used twice.") % {"where": where, "key": key}, field=f"fields.{i}.key")
        if not label:
            raise DomainError(_("%(where)s: a label is required.") % {"where": where}, field=f"fields.{i}.label")
        if kind not in FieldKind.values:
            raise DomainError(_("%(where)s: unknown type %(kind)s.") % {"where": where, "kind": kind}, field=f"fields.{i}.kind")
        choices = [str(c).strip() for c in (f.get("choices") or []) if str(c).strip()]
        if kind == FieldKind.CHOICE and len(set(choices)) != len(choices):
            raise DomainError(_("%(where)s: each option once.") % {"where": where}, field=f"fields.{i}.choices")
        if kind == FieldKind.CHOICE and len(choices) < 2:
            raise DomainError(_("%(where)s: a choice needs at least two options.") % {"where": where}, field=f"fields.{i}.choices")
        source = (f.get("source") or "").strip()
        if source and source not in SOURCES:
            raise DomainError(_("%(where)s: unknown figure %(source)s.") % {"where": where, "source": source}, field=f"fields.{i}.source")
        if source and kind != FieldKind.INTEGER:
            raise DomainError(_("%(where)s: a pre-filled figure is a whole number.") % {"where": where}, field=f"fields.{i}.kind")
        keys.add(key)
        out.append(ReportField(section=(f.get("section") or "").strip()[:100], key=key, label=label[:200], kind=kind,
                               choices=choices if kind == FieldKind.CHOICE else [], required=bool(f.get("required", True)),
                               source=source, order=i))
    return out


def slugify_key(raw: str) -> str:
    """A field key: lower-case ASCII letters, digits and _, starting with a letter; "" if not."""
    key = raw.strip().lower().replace("-", "_").replace(" ", "_")
    return key if key[:1].isalpha() and key.isascii() and all(c.isalnum() or c == "_" for c in key) and len(key) <= 50 else ""


def _rules_clean(rules: list[dict], fields: list[ReportField]) -> list[ReportRule]:
    numbers = {f.key for f in fields if f.kind in NUMBER_KINDS}
    out = []
    for i, r in enumerate(rules or []):
        left, op, right = (r.get("left") or "").strip(), r.get("op") or "", (r.get("right") or "").strip()
        if left not in numbers or right not in numbers or left == right:
            raise DomainError(_("Check %(n)s: compare two different number fields of this template.") % {"n": i + 1},
                              field=f"rules.{i}")
        if op not in RuleOp.values:
            raise DomainError(_("Check %(n)s: unknown comparison.") % {"n": i + 1}, field=f"rules.{i}.op")
        out.append(ReportRule(left=left, op=op, right=right, message=(r.get("message") or "").strip()[:200]))
    return out


@transaction.atomic
def report_template_save(*, actor, district: OrgUnit, template: ReportTemplate | None = None, name: str, unit_kinds: list[str],
                         deadline: dt.time, deadline_next_day: bool = False, remind_before: int = 60, remind_after: int = 30,
                         is_active: bool = True, fields: list[dict], rules: list[dict] | None = None, via: Via) -> ReportTemplate:
    """Define or change a template with its fields and checks. Reports already in keep their
    values; a field removed is no longer asked for."""
    _require_district_wide(actor, district)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    kinds = sorted(set(unit_kinds or []))
    if not kinds or set(kinds) - set(UnitKind.values):
        raise DomainError(_("Choose who reports."), field="unit_kinds")
    if not (0 <= remind_before <= 24 * 60 and 0 <= remind_after <= 24 * 60):
        raise DomainError(_("Reminders are 0 to 1440 minutes from the deadline."), field="remind_before")
    new_fields = _fields_clean(fields)
    new_rules = _rules_clean(rules or [], new_fields)
    if ReportTemplate.objects.filter(district=district, name=name).exclude(pk=getattr(template, "pk", None)).exists():
        raise DomainError(_("A template named %(name)s exists already.") % {"name": name}, field="name")
    before = None
    if template is None:
        template = ReportTemplate(district=district, org_path=district.path, created_by=actor)
    else:
        template = ReportTemplate.objects.select_for_update().get(pk=template.pk, district=district)
        before = {"name": template.name, "unit_kinds": template.unit_kinds, "deadline": str(template.deadline),
                  "deadline_next_day": template.deadline_next_day, "fields": [f.key for f in template.fields.all()]}
    template.name, template.unit_kinds, template.deadline, template.deadline_next_day = name, kinds, deadline, deadline_next_day
    template.remind_before, template.remind_after, template.is_active = remind_before, remind_after, is_active
    template.save()
    template.fields.all().delete()
    template.rules.all().delete()
    for f in new_fields:
        f.template = template
    for r in new_rules:
        r.template = template
    ReportField.objects.bulk_create(new_fields)
    ReportRule.objects.bulk_create(new_rules)
    after = {"name": name, "unit_kinds": kinds, "deadline": str(deadline), "deadline_next_day": deadline_next_day,
             "fields": [f.key for f in new_fields]}
    audit_record(actor=actor, action=AuditAction.CREATE if before is None else AuditAction.UPDATE, via=via,
                 object_type="report_template", object_ref=template.uid, object_label=name, org_path=district.path,
                 detail=after if before is None else changed_fields(before, after))
    return template


# --- Units and their duty rosters ----------------------------------------------------------

def _require_unit_manager(actor, unit: ReportingUnit) -> None:
    require(actor, Capability.MANAGE_REPORTING)
    require_in_jurisdiction(actor, unit.org_path)


@transaction.atomic
def reporting_unit_update(*, actor, unit: ReportingUnit, head_name: str = "", head_phone: str = "", duty_phone: str = "",
                          head=None, reporters: list | None = None, webhook_kind: str = "", webhook_url: str = "",
                          is_active: bool = True, via: Via) -> ReportingUnit:
    """Who answers for a unit, who reports for it, and where its reminders go. Reporters and the
    head are accounts of the unit's part of the tree."""
    _require_unit_manager(actor, unit)
    people = [p for p in [head, *(reporters or [])] if p is not None]
    for person in people:
        if not person.jurisdiction_id or not (person.jurisdiction.path.startswith(unit.org_path)
                                              or unit.org_path.startswith(person.jurisdiction.path)):
            raise DomainError(_("%(user)s does not work in %(unit)s.") % {"user": person.get_full_name() or person.username,
                                                                           "unit": unit.name}, field="reporters")
    if webhook_kind and webhook_kind not in WebhookKind.values:
        raise DomainError(_("Unknown robot."), field="webhook_kind")
    webhook_url = (webhook_url or "").strip()
    if webhook_url and not webhook_url.startswith(("http://", "https://")):
        raise DomainError(_("The robot's address starts with http:// or https://."), field="webhook_url")
    if webhook_url and not webhook_kind:
        raise DomainError(_("Say which robot the address belongs to."), field="webhook_kind")
    before = {"head_name": unit.head_name, "head_phone": unit.head_phone, "duty_phone": unit.duty_phone,
              "head": unit.head_id, "webhook_url": unit.webhook_url, "is_active": unit.is_active}
    unit.head_name = (head_name or "").strip()[:50]
    unit.head_phone = phone_clean(head_phone, field="head_phone")
    unit.duty_phone = phone_clean(duty_phone, field="duty_phone")
    unit.head, unit.webhook_kind, unit.webhook_url, unit.is_active = head, webhook_kind if webhook_url else "", webhook_url, is_active
    unit.save()
    if reporters is not None:
        unit.reporters.set(reporters)
    after = {"head_name": unit.head_name, "head_phone": unit.head_phone, "duty_phone": unit.duty_phone,
             "head": unit.head_id, "webhook_url": unit.webhook_url, "is_active": unit.is_active}
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="reporting_unit", object_ref=unit.uid,
                 object_label=unit.name, org_path=unit.org_path, detail=changed_fields(before, after))
    return unit


@transaction.atomic
def reporting_unit_create(*, actor, district: OrgUnit, kind: str, name: str, via: Via) -> ReportingUnit:
    """A department of the district that reports (the finance bureau…). Streets and communities
    are not created here: they report as nodes of the tree (reporting_units_add_new)."""
    _require_district_wide(actor, district)
    name = (name or "").strip()[:100]
    if kind not in UnitKind.values or kind in TREE_KINDS:
        raise DomainError(_("Choose which kind of department."), field="kind")
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if ReportingUnit.objects.filter(district=district, name=name).exists():
        raise DomainError(_("A reporting unit named %(name)s exists already.") % {"name": name}, field="name")
    unit = ReportingUnit.objects.create(district=district, kind=kind, org_path=district.path, name=name)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="reporting_unit", object_ref=unit.uid,
                 object_label=name, org_path=district.path, detail={"kind": kind})
    return unit


def reporting_units_add_new(*, actor, district: OrgUnit, via: Via) -> int:
    """Streets and communities added to the tree since start to report too."""
    _require_district_wide(actor, district)
    added = reporting_units_sync(district=district)
    if added:
        audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="reporting_unit", object_ref="",
                     object_label=district.name, org_path=district.path, detail={"added": added})
    return added


def _may_keep_duty(actor, unit: ReportingUnit) -> None:
    """The unit's own reporters keep its roster, or whoever manages units over it."""
    if unit.reporters.filter(pk=actor.pk).exists() or unit.head_id == actor.pk:
        return
    _require_unit_manager(actor, unit)


@transaction.atomic
def duty_roster_set(*, actor, unit: ReportingUnit, day: dt.date, entries: list[dict], via: Via) -> list[DutyEntry]:
    """Replace who is on 24-hour duty for the unit on `day`: [{role, name, phone}]. One leader
    at most; every entry has a name and a phone."""
    _may_keep_duty(actor, unit)
    rows, seen = [], set()
    for i, e in enumerate(entries):
        name = (e.get("name") or "").strip()[:50]
        role = e.get("role") or DutyRole.OFFICER
        if not name:
            raise DomainError(_("Row %(n)s: a name is required.") % {"n": i + 1}, field=f"entries.{i}.name")
        if role not in DutyRole.values:
            raise DomainError(_("Row %(n)s: unknown role.") % {"n": i + 1}, field=f"entries.{i}.role")
        if (role, name) in seen:
            raise DomainError(_("Row %(n)s: %(name)s is listed twice.") % {"n": i + 1, "name": name}, field=f"entries.{i}.name")
        seen.add((role, name))
        if not (e.get("phone") or "").strip():
            raise DomainError(_("Row %(n)s: a phone is required.") % {"n": i + 1}, field=f"entries.{i}.phone")
        phone = phone_clean(e["phone"], field=f"entries.{i}.phone")
        rows.append(DutyEntry(unit=unit, org_path=unit.org_path, day=day, role=role, name=name, phone=phone))
    if sum(r.role == DutyRole.LEADER for r in rows) > 1:
        raise DomainError(_("One leader on duty a day."), field="entries")
    DutyEntry.objects.filter(unit=unit, day=day).delete()
    DutyEntry.objects.bulk_create(rows)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="duty_roster", object_ref=unit.uid,
                 object_label=f"{unit.name} {day}", org_path=unit.org_path, detail={"day": str(day), "people": len(rows)})
    return rows


# --- Reminders ------------------------------------------------------------------------------

MAX_ATTEMPTS = 5
# Wait after a failed attempt 1, 2, 3, 4; a claimed attempt is given LEASE before another may start.
BACKOFF = [dt.timedelta(minutes=m) for m in (1, 5, 15, 60)]
LEASE = dt.timedelta(minutes=2)
WEBHOOK_TIMEOUT = 5


def _reminder_text(template: ReportTemplate, unit: ReportingUnit, day: dt.date, kind: str) -> str:
    deadline = timezone.localtime(template.deadline_for(day)).strftime("%m-%d %H:%M")
    if kind == Reminder.Kind.BEFORE:
        return _("[Reminder] %(unit)s: the %(template)s of %(day)s is due by %(deadline)s; not received yet. "
                 "Nothing new? Send a zero report.") % {"unit": unit.name, "template": template.name, "day": day, "deadline": deadline}
    return _("[Overdue] %(unit)s: the %(template)s of %(day)s was due by %(deadline)s and has not been received. "
             "Please report now.") % {"unit": unit.name, "template": template.name, "day": day, "deadline": deadline}


def _reminder_kind_due(template: ReportTemplate, day: dt.date, now: dt.datetime) -> str | None:
    deadline = template.deadline_for(day)
    if template.remind_before and deadline - dt.timedelta(minutes=template.remind_before) <= now < deadline:
        return Reminder.Kind.BEFORE
    # After the deadline once, and not for reports more than a day overdue.
    if deadline + dt.timedelta(minutes=template.remind_after) <= now < deadline + dt.timedelta(days=1):
        return Reminder.Kind.AFTER
    return None


@transaction.atomic
def reminders_create(*, now: dt.datetime | None = None) -> int:
    """Remind every unit that has not reported and whose reminder is due now: a reminder in the
    app, and a robot message queued when the unit has a robot. Idempotent: run it every minute."""
    now = now or clock.now()
    today = timezone.localdate(now)
    created = 0
    for template in ReportTemplate.objects.filter(is_active=True):
        # A next-day deadline late at night has its after-deadline reminder two days on.
        for day in (today - dt.timedelta(days=2), today - dt.timedelta(days=1), today):
            if not template.asks(day, today=today):
                continue
            kind = _reminder_kind_due(template, day, now)
            if kind is None:
                continue
            done = DailyReport.objects.filter(template=template, day=day).values("unit_id")
            reminded = Reminder.objects.filter(template=template, day=day, kind=kind).values("unit_id")
            units = ReportingUnit.objects.filter(district_id=template.district_id, is_active=True, kind__in=template.unit_kinds) \
                .exclude(pk__in=done).exclude(pk__in=reminded)
            rows = [Reminder(template=template, unit=u, org_path=u.org_path, day=day, kind=kind, created_at=now,
                             text=_reminder_text(template, u, day, kind),
                             delivery=Reminder.Delivery.PENDING if u.webhook_url else Reminder.Delivery.NONE,
                             next_attempt_at=now if u.webhook_url else None) for u in units]
            Reminder.objects.bulk_create(rows, ignore_conflicts=True)
            created += len(rows)
    return created


def reminders_to_deliver(*, now: dt.datetime | None = None) -> list[int]:
    now = now or clock.now()
    return list(Reminder.objects.filter(delivery=Reminder.Delivery.PENDING, next_attempt_at__lte=now).values_list("pk", flat=True))


class WebhookError(Exception):
    pass


def webhook_payload(*, kind: str, text: str, phones: list[str]) -> dict:
    """A WeCom or DingTalk group robot's text message, naming the people to @ by phone."""
    if kind == WebhookKind.DINGTALK:
        return {"msgtype": "text", "text": {"content": text}, "at": {"atMobiles": phones, "isAtAll": False}}
    return {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": phones}}


def webhook_post(*, url: str, payload: dict) -> None:
    """POST the JSON; the robots answer 200 with {"errcode": 0} when they took it."""
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
            body = response.read(10_000)
    except urllib.error.HTTPError as e:
        raise WebhookError(f"HTTP {e.code}") from e
    except (urllib.error.URLError, OSError) as e:
        raise WebhookError(str(getattr(e, "reason", e))[:200]) from e
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        raise WebhookError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"[:200])


def reminder_deliver(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """One attempt to send a reminder to its unit's robot; True when it went out. The attempt
    is claimed first (a conditional update), so two workers never send it twice at once; the
    HTTP call runs outside any transaction. A failure waits BACKOFF, then gives up."""
    now = now or clock.now()
    claimed = Reminder.objects.filter(pk=reminder_id, delivery=Reminder.Delivery.PENDING, next_attempt_at__lte=now) \
        .update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return False
    reminder = Reminder.objects.select_related("unit").get(pk=reminder_id)
    unit = reminder.unit
    if DailyReport.objects.filter(template_id=reminder.template_id, unit=unit, day=reminder.day).exists():
        reminder.delivery, reminder.next_attempt_at = Reminder.Delivery.CANCELLED, None
        reminder.save(update_fields=["delivery", "next_attempt_at"])
        return False
    phones = [p for p in [unit.head_phone, unit.duty_phone] if p]
    try:
        if not unit.webhook_url:
            raise WebhookError(_("The unit has no robot any more."))
        webhook_post(url=unit.webhook_url, payload=webhook_payload(kind=unit.webhook_kind, text=reminder.text, phones=phones))
    except WebhookError as e:
        reminder.last_error = str(e)[:300]
        if reminder.attempts >= MAX_ATTEMPTS or not unit.webhook_url:
            reminder.delivery, reminder.next_attempt_at = Reminder.Delivery.FAILED, None
        else:
            reminder.next_attempt_at = now + BACKOFF[reminder.attempts - 1]
        reminder.save(update_fields=["last_error", "delivery", "next_attempt_at"])
        return False
    reminder.delivery, reminder.delivered_at, reminder.next_attempt_at = Reminder.Delivery.SENT, clock.now(), None
    reminder.save(update_fields=["delivery", "delivered_at", "next_attempt_at"])
    return True


# --- The daily brief ------------------------------------------------------------------------

@transaction.atomic
def brief_issue(*, actor, district: OrgUnit, day: dt.date, title: str = "", office: str = "", send_to: str = "",
                copy_to: str = "", editors: str = "", highlights: str = "", templates: list[ReportTemplate] | None = None,
                again: bool = False, via: Via) -> Brief:
    """Issue the next numbered brief of the district for `day`. Its content is built from the
    day's reports now and kept; the number is taken under a row lock in the same transaction,
    so numbers have no gaps and never repeat, whoever generates at the same moment."""
    from .selectors import brief_content

    _require_district_wide(actor, district)
    if day > clock.today():
        raise DomainError(_("A day that has not come yet has no brief."), field="day")
    earlier = Brief.objects.filter(district=district, day=day).order_by("number").last()
    if earlier is not None and not again:
        # A number once given stays in the archive: a second tap must not use up another.
        raise DomainError(_("%(brief)s is already issued for %(day)s; confirm to issue another.") % {"brief": earlier, "day": day},
                          field="again", code="already_issued")
    content = brief_content(actor=actor, district=district, day=day, templates=templates)
    BriefCounter.objects.get_or_create(district=district)
    counter = BriefCounter.objects.select_for_update().get(district=district)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    brief = Brief.objects.create(
        district=district, org_path=district.path, number=counter.last_number, day=day,
        title=(title or "").strip()[:100] or _("Epidemic prevention and control daily brief"),
        office=(office or "").strip()[:100] or _("%(district)s epidemic prevention and control command office") % {"district": district.name},
        send_to=send_to.strip()[:500], copy_to=copy_to.strip()[:500], editors=editors.strip()[:200], highlights=highlights.strip(),
        content=content, created_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="daily_brief", object_ref=brief.uid,
                 object_label=str(brief), org_path=district.path, detail={"number": brief.number, "day": str(day)})
    return brief
