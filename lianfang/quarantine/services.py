"""Writes of key persons and quarantine. `key_person_register` and `quarantine_order_start` are
the entry points other apps (screening, tracing, checkpoints) use to hand a person over."""

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import clock
from lianfang.core.audit import Via, audit_record, changed_fields
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.lifecycle import handled_acknowledge, handled_close
from lianfang.core.models import AuditAction, OrgUnit, User
from lianfang.core.roles import Capability, has_capability
from lianfang.core.scoping import in_jurisdiction
from lianfang.core.services import phone_clean, require, require_in_jurisdiction
from lianfang.core.temperature import is_fever, temperature_parse
from lianfang.registry.models import Resident

from . import site_services
from .models import (
    FIVE_LEVELS,
    Alert,
    Cadre,
    Category,
    CheckMethod,
    Duty,
    HealthCheck,
    KeyPerson,
    KeyPersonEvent,
    OrderExtension,
    OrderKind,
    QuarantineOrder,
    QuarantinePolicy,
    Room,
    Scheme,
    Slot,
    SpotCheck,
    SupportRequest,
    Symptom,
)
from .policy import policy_for, window_bounds

# How far an order's start may lie from today: back-dated to the exposure, or planned ahead.
START_BACK_DAYS = 30
START_AHEAD_DAYS = 7
# A check is stamped with the time it was taken; a phone clock a little fast is not "the future".
CLOCK_SLACK = dt.timedelta(minutes=10)



# --- key persons ----------------------------------------------------------------------------

@transaction.atomic
def key_person_register(
    *, actor, resident: Resident, category: str, source: str, source_ref: str = "", reason: str = "",
    flagged_at: dt.datetime | None = None, via: Via,
) -> tuple[KeyPerson, bool]:
    """Put a resident under watch. Someone already under watch keeps the record they have
    (created=False): one active key-person file per person."""
    if category not in Category.values:
        raise DomainError(_("Choose the category of the key person."), field="category")
    existing = KeyPerson.objects.filter(resident=resident, status=KeyPerson.Status.ACTIVE).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            person = KeyPerson.objects.create(
                district_id=resident.district_id, resident=resident, org_path=resident.org_path, category=category,
                source=source, source_ref=source_ref[:200], reason=reason, created_by=actor,
                flagged_at=flagged_at or clock.now(),
            )
    except IntegrityError:  # registered a moment ago by someone else
        return KeyPerson.objects.get(resident=resident, status=KeyPerson.Status.ACTIVE), False
    KeyPersonEvent.objects.create(key_person=person, kind=KeyPersonEvent.Kind.STATUS, to_value=person.status, reason=reason, actor=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="key_person", object_ref=person.uid,
                 object_label=resident.name, org_path=person.org_path,
                 detail={"category": category, "source": source, "source_ref": person.source_ref})
    return person, True


def _key_person_set_status(*, actor, key_person: KeyPerson, status: str, reason: str) -> None:
    if status not in KeyPerson.TRANSITIONS.get(key_person.status, ()):
        raise DomainError(_("This file is %(status)s and cannot change.") % {"status": key_person.get_status_display()},
                          code="bad_transition")
    KeyPersonEvent.objects.create(key_person=key_person, kind=KeyPersonEvent.Kind.STATUS, from_value=key_person.status,
                                  to_value=status, reason=reason, actor=actor)
    key_person.status = status
    key_person.save(update_fields=["status"])


@transaction.atomic
def key_person_recategorise(*, actor, key_person: KeyPerson, category: str, reason: str, via: Via) -> KeyPerson:
    """A close contact found positive becomes a confirmed case, and so on; the history keeps why."""
    if not (has_capability(actor, Capability.MANAGE_QUARANTINE) or has_capability(actor, Capability.TRACE_CASES)):
        raise PermissionDenied()
    require_in_jurisdiction(actor, key_person.org_path)
    if category not in Category.values:
        raise DomainError(_("Choose the category of the key person."), field="category")
    if not reason.strip():
        raise DomainError(_("Say why the category changes."), field="reason")
    if category == key_person.category:
        return key_person
    KeyPersonEvent.objects.create(key_person=key_person, kind=KeyPersonEvent.Kind.CATEGORY, from_value=key_person.category,
                                  to_value=category, reason=reason.strip(), actor=actor)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="key_person", object_ref=key_person.uid,
                 object_label=str(key_person), org_path=key_person.org_path,
                 detail=changed_fields({"category": key_person.category}, {"category": category}))
    key_person.category = category
    key_person.save(update_fields=["category"])
    return key_person


# --- policy ---------------------------------------------------------------------------------

@transaction.atomic
def quarantine_policy_update(*, actor, district: OrgUnit, via: Via, **values) -> QuarantinePolicy:
    require(actor, Capability.CONFIGURE)
    require_in_jurisdiction(actor, district.path)
    policy = policy_for(district_id=district.pk)
    if not (values["morning_start"] < values["morning_end"] <= values["afternoon_start"] < values["afternoon_end"]):
        raise DomainError(_("The windows must follow each other: morning from < morning until ≤ afternoon from < afternoon until."),
                          field="morning_end")
    periods = {k: int(v) for k, v in (values.get("periods") or {}).items() if v not in (None, "")}
    for category, days in periods.items():
        if category not in Category.values:
            raise DomainError(_("Unknown category %(category)s.") % {"category": category}, field="periods")
        if not 1 <= days <= 90:
            raise DomainError(_("A period is between 1 and 90 days."), field=f"period_{category}")
    if not 1 <= int(values["default_days"]) <= 90:
        raise DomainError(_("A period is between 1 and 90 days."), field="default_days")
    if not 0 <= int(values["release_normal_checks"]) <= 28:
        raise DomainError(_("Ask for between 0 and 28 normal checks."), field="release_normal_checks")
    fields = ["morning_start", "morning_end", "afternoon_start", "afternoon_end", "default_days", "release_normal_checks",
              "release_requires_all_checks"]
    before = {f: getattr(policy, f) for f in fields} | {"periods": policy.periods}
    for f in fields:
        setattr(policy, f, values[f])
    policy.periods = periods
    policy.updated_by = actor if getattr(actor, "pk", None) else None
    policy.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="quarantine_policy", object_ref=district.code,
                 object_label=district.name, org_path=district.path,
                 detail=changed_fields(before, {f: getattr(policy, f) for f in fields} | {"periods": periods}))
    return policy


# --- orders ---------------------------------------------------------------------------------

def _local_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _cadre_rows(*, scheme: str, cadres, district_path: str) -> list[Cadre]:
    """Validate the named people of an order against its scheme: "2包1" is two people, the five
    levels are one person per level."""
    if scheme not in Scheme.values:
        raise DomainError(_("Choose how responsibility is shared."), field="scheme")
    rows = []
    for i, c in enumerate(cadres, start=1):
        name = (c.get("name") or "").strip()
        duty = c.get("duty") or ""
        user = c.get("user")
        if user is not None and not name:
            name = str(user)
        if not name:
            raise DomainError(_("Person %(n)d: give a name.") % {"n": i}, field="cadres")
        if duty not in Duty.values:
            raise DomainError(_("%(name)s: choose the duty.") % {"name": name}, field="cadres")
        if user is not None and (user.jurisdiction is None or not user.jurisdiction.path.startswith(district_path)):
            raise DomainError(_("%(name)s is not a user of this district.") % {"name": name}, field="cadres")
        try:
            phone = phone_clean(c.get("phone") or (user.phone if user is not None else ""))
        except DomainError as e:
            raise DomainError(f"{name}: {e.message}", field="cadres")
        rows.append(Cadre(duty=duty, name=name[:50], phone=phone, user=user))
    if scheme == Scheme.TWO_FOR_ONE and len(rows) != 2:
        raise DomainError(_("“2包1” names two people for the person: a cadre and a doctor, for example."), field="cadres")
    if scheme == Scheme.FIVE_LEVELS and sorted(r.duty for r in rows) != sorted(FIVE_LEVELS):
        raise DomainError(_("The five levels name one person each: town, village, group, health centre and police."), field="cadres")
    return rows


@transaction.atomic
def quarantine_order_start(
    *, actor, key_person: KeyPerson, kind: str, start_date: dt.date, days: int | None = None, scheme: str = Scheme.TWO_FOR_ONE,
    cadres=(), room: Room | None = None, reason: str = "", via: Via,
) -> QuarantineOrder:
    """Order a key person into quarantine. `days` defaults to the district's period for the
    person's category; a central order checks the person into a room with a free bed; named
    cadres, when given, must fit the scheme (they can also be assigned later)."""
    require(actor, Capability.MANAGE_QUARANTINE)
    key_person = KeyPerson.objects.select_for_update().get(pk=key_person.pk)
    require_in_jurisdiction(actor, key_person.org_path)
    if key_person.status != KeyPerson.Status.ACTIVE:
        raise DomainError(_("This key-person file is closed (%(status)s).") % {"status": key_person.get_status_display()}, code="closed")
    if key_person.orders.filter(status=QuarantineOrder.Status.ACTIVE).exists():
        raise DomainError(_("%(name)s already has an active quarantine order.") % {"name": key_person.resident.name}, code="active_order")
    if kind not in OrderKind.values:
        raise DomainError(_("Choose the type of quarantine."), field="kind")
    if start_date is None:
        raise DomainError(_("Give the start date."), field="start_date")
    today = clock.today()
    if start_date < today - dt.timedelta(days=START_BACK_DAYS) or start_date > today + dt.timedelta(days=START_AHEAD_DAYS):
        raise DomainError(_("The start date must lie within %(back)d days before and %(ahead)d days after today.")
                          % {"back": START_BACK_DAYS, "ahead": START_AHEAD_DAYS}, field="start_date")
    policy = policy_for(district_id=key_person.district_id)
    try:
        days = policy.days_for(key_person.category) if days in (None, "") else int(days)
    except (TypeError, ValueError):
        raise DomainError(_("Give the period as a number of days."), field="days")
    if not 1 <= days <= 90:
        raise DomainError(_("A period is between 1 and 90 days."), field="days")
    end_date = QuarantineOrder.end_for(start_date, days)
    if end_date < today:
        raise DomainError(_("This period ended on %(date)s; nothing is left to observe.") % {"date": end_date}, field="days")
    rows = _cadre_rows(scheme=scheme, cadres=cadres, district_path=key_person.org_path[:8]) if cadres else []
    checked_in_at = None
    if kind == OrderKind.CENTRAL:
        if room is None:
            raise DomainError(_("Choose the site and room for central quarantine."), field="room")
        if not room.site.org_path.startswith(key_person.org_path[:8]):
            raise DomainError(_("This room is not in the district."), field="room")
        room = site_services.room_hold(room=room)
        checked_in_at = clock.now()
    elif room is not None:
        raise DomainError(_("Only central quarantine takes a room."), field="room")
    now = clock.now()
    order = QuarantineOrder.objects.create(
        district_id=key_person.district_id, key_person=key_person, resident_id=key_person.resident_id, org_path=key_person.org_path,
        kind=kind, scheme=scheme, start_date=start_date, days=days, end_date=end_date, reason=reason.strip(),
        checks_from=max(now, _local_start(start_date)), room=room, checked_in_at=checked_in_at, created_by=actor,
    )
    for row in rows:
        row.order = order
    Cadre.objects.bulk_create(rows)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="quarantine_order", object_ref=order.uid,
                 object_label=key_person.resident.name, org_path=order.org_path,
                 detail={"kind": kind, "start_date": str(start_date), "days": days, "room": str(room) if room else "",
                         "cadres": [r.name for r in rows]})
    return order


def _manageable(actor, order: QuarantineOrder) -> None:
    require(actor, Capability.MANAGE_QUARANTINE)
    require_in_jurisdiction(actor, order.org_path)


def _lock(order: QuarantineOrder) -> QuarantineOrder:
    return QuarantineOrder.objects.select_for_update().select_related("resident", "key_person").get(pk=order.pk)


def _require_active(order: QuarantineOrder) -> None:
    if not order.is_active:
        raise DomainError(_("This order has ended (%(status)s).") % {"status": order.get_status_display()}, code="ended")


@transaction.atomic
def order_cadres_assign(*, actor, order: QuarantineOrder, scheme: str, cadres, via: Via) -> QuarantineOrder:
    """Name the people answerable for the order (replacing who was named before)."""
    _manageable(actor, order)
    order = _lock(order)
    _require_active(order)
    rows = _cadre_rows(scheme=scheme, cadres=cadres, district_path=order.org_path[:8])
    before = [f"{c.get_duty_display()} {c.name}" for c in order.cadres.all()]
    order.cadres.all().delete()
    for row in rows:
        row.order = order
    Cadre.objects.bulk_create(rows)
    order.scheme = scheme
    order.save(update_fields=["scheme"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="quarantine_order", object_ref=order.uid,
                 object_label=order.resident.name, org_path=order.org_path,
                 detail={"cadres": [before, [f"{r.get_duty_display()} {r.name}" for r in rows]], "scheme": scheme})
    return order


@transaction.atomic
def quarantine_order_extend(*, actor, order: QuarantineOrder, days: int, reason: str, via: Via) -> QuarantineOrder:
    _manageable(actor, order)
    order = _lock(order)
    _require_active(order)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise DomainError(_("Give the number of extra days."), field="days")
    if not 1 <= days <= 30:
        raise DomainError(_("Extend by 1 to 30 days at a time."), field="days")
    if not (reason or "").strip():
        raise DomainError(_("Say why the period is extended."), field="reason")
    if order.days + days > 180:
        raise DomainError(_("An order cannot run longer than 180 days."), field="days")
    previous_end = order.end_date
    order.days += days
    order.end_date = QuarantineOrder.end_for(order.start_date, order.days)
    order.save(update_fields=["days", "end_date"])
    OrderExtension.objects.create(order=order, days=days, previous_end=previous_end, new_end=order.end_date, reason=reason.strip(), actor=actor)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="quarantine_order", object_ref=order.uid,
                 object_label=order.resident.name, org_path=order.org_path,
                 detail={"end_date": [str(previous_end), str(order.end_date)], "reason": reason.strip()})
    return order


def release_conditions(*, order: QuarantineOrder, policy: QuarantinePolicy | None = None) -> list[dict]:
    """The configured release conditions and whether this order meets each: the last N checks
    normal, and both checks of the period's last day recorded. Each is
    {"code", "label", "met", "detail"}."""
    policy = policy or policy_for(district_id=order.district_id)
    out = []
    n = policy.release_normal_checks
    if n:
        last = list(order.checks.order_by("-checked_at", "-id").values_list("is_abnormal", flat=True)[:n])
        normal = sum(1 for abnormal in last if not abnormal)
        out.append({"code": "normal_checks", "label": _("The last %(n)d checks normal") % {"n": n},
                    "met": len(last) == n and normal == n, "detail": _("%(normal)d of %(n)d") % {"normal": normal, "n": n}})
    if policy.release_requires_all_checks:
        done = order.morning_checked_on == order.end_date, order.afternoon_checked_on == order.end_date
        out.append({"code": "last_day_checks", "label": _("Both checks of the last day (%(date)s) recorded") % {"date": order.end_date},
                    "met": all(done), "detail": _("%(done)d of 2") % {"done": sum(done)}})
    return out


def _close_order(*, actor, order: QuarantineOrder, status: str) -> None:
    order.status = status
    order.ended_at = clock.now()
    order.ended_by = actor if getattr(actor, "pk", None) else None
    if order.room_id and order.checked_out_at is None:
        order.checked_out_at = order.ended_at
    order.save()


@transaction.atomic
def quarantine_order_release(*, actor, order: QuarantineOrder, early: bool = False, reason: str = "", via: Via) -> QuarantineOrder:
    """Release at the end of the period once the configured conditions hold, or early with a
    reason. The person's file closes and they leave every active list."""
    _manageable(actor, order)
    order = _lock(order)
    _require_active(order)
    today = clock.today()
    conditions = release_conditions(order=order)
    # From the end date on, a release is the ordinary one and the conditions apply.
    early = early and today < order.end_date
    if early:
        if not (reason or "").strip():
            raise DomainError(_("Say why the person is released early."), field="reason")
    else:
        if today < order.end_date:
            raise DomainError(_("The period ends on %(date)s; release early with a reason, or extend.") % {"date": order.end_date},
                              field="early", code="not_due")
        unmet = [c for c in conditions if not c["met"]]
        if unmet:
            raise DomainError(_("Not yet: %(conditions)s.") % {"conditions": "; ".join(f"{c['label']} ({c['detail']})" for c in unmet)},
                              code="conditions_unmet")
    order.release_kind = QuarantineOrder.ReleaseKind.EARLY if early else QuarantineOrder.ReleaseKind.COMPLETED
    order.release_reason = (reason or "").strip()
    order.release_conditions = {c["code"]: {"met": c["met"], "detail": str(c["detail"])} for c in conditions}
    _close_order(actor=actor, order=order, status=QuarantineOrder.Status.RELEASED)
    _key_person_set_status(actor=actor, key_person=order.key_person, status=KeyPerson.Status.RELEASED,
                           reason=order.release_reason or str(order.get_release_kind_display()))
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="quarantine_order", object_ref=order.uid,
                 object_label=order.resident.name, org_path=order.org_path,
                 detail={"status": ["active", "released"], "release": order.release_kind, "reason": order.release_reason})
    return order


@transaction.atomic
def quarantine_order_end(*, actor, order: QuarantineOrder, status: str, reason: str, via: Via) -> QuarantineOrder:
    """End an order otherwise than by release: transferred (to hospital, to central quarantine, to
    another district: the file stays open unless `status` says the person left) or cancelled
    (entered in error)."""
    _manageable(actor, order)
    order = _lock(order)
    _require_active(order)
    if status not in (QuarantineOrder.Status.TRANSFERRED, QuarantineOrder.Status.CANCELLED):
        raise DomainError(_("Choose transferred or cancelled."), field="status")
    if not (reason or "").strip():
        raise DomainError(_("Say why the order ends."), field="reason")
    order.release_reason = reason.strip()
    _close_order(actor=actor, order=order, status=status)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="quarantine_order", object_ref=order.uid,
                 object_label=order.resident.name, org_path=order.org_path, detail={"status": ["active", status], "reason": reason.strip()})
    return order


@transaction.atomic
def key_person_transfer_out(*, actor, key_person: KeyPerson, reason: str, via: Via) -> KeyPerson:
    """The person left the district's care (hospital, another district): the file closes."""
    require(actor, Capability.MANAGE_QUARANTINE)
    require_in_jurisdiction(actor, key_person.org_path)
    if not (reason or "").strip():
        raise DomainError(_("Say where the person was transferred."), field="reason")
    key_person = KeyPerson.objects.select_for_update().get(pk=key_person.pk)
    for order in key_person.orders.filter(status=QuarantineOrder.Status.ACTIVE):
        quarantine_order_end(actor=actor, order=order, status=QuarantineOrder.Status.TRANSFERRED, reason=reason, via=via)
    _key_person_set_status(actor=actor, key_person=key_person, status=KeyPerson.Status.TRANSFERRED, reason=reason.strip())
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="key_person", object_ref=key_person.uid,
                 object_label=str(key_person), org_path=key_person.org_path, detail={"status": ["active", "transferred"]})
    return key_person


@transaction.atomic
def notice_mark_signed(*, actor, order: QuarantineOrder, via: Via) -> QuarantineOrder:
    """The doctor confirms the medical observation notice was signed and handed over."""
    require(actor, Capability.RECORD_CHECKS)
    _in_scope_or_assigned(actor, order)
    order = _lock(order)
    _require_active(order)
    if order.notice_signed_at is not None:
        raise DomainError(_("The notice was already marked signed on %(date)s.")
                          % {"date": timezone.localtime(order.notice_signed_at).strftime("%Y-%m-%d %H:%M")}, code="signed")
    order.notice_signed_at = clock.now()
    order.notice_signed_by = actor
    order.save(update_fields=["notice_signed_at", "notice_signed_by"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="quarantine_order", object_ref=order.uid,
                 object_label=order.resident.name, org_path=order.org_path, detail={"notice": "signed"})
    return order


def _in_scope_or_assigned(actor, order: QuarantineOrder | None, *, org_path: str = "") -> None:
    """Doctors and police work for the people they are named for, wherever those live."""
    if in_jurisdiction(actor, org_path or order.org_path):
        return
    if order is None or not Cadre.objects.filter(order_id=order.pk, user_id=getattr(actor, "pk", None)).exists():
        raise PermissionDenied()


# --- health checks --------------------------------------------------------------------------

def _aware(moment: dt.datetime) -> dt.datetime:
    """A time typed without a zone is local time."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _replayed(model, *, uid, order: QuarantineOrder, missing: str, conflict: str):
    """The record a client already sent under `uid` (a retry), or None for a new one. The same
    uid for another person is a client bug, refused."""
    if uid is None:
        raise DomainError(missing, field="uid")
    existing = model.objects.filter(uid=uid).first()
    if existing is not None and existing.order_id != order.pk:
        raise DomainError(conflict, field="uid", code="uid_conflict")
    return existing


def _slot_for(policy: QuarantinePolicy, moment: dt.datetime) -> str:
    """A check before the afternoon window opens is the morning check."""
    return Slot.MORNING if timezone.localtime(moment).time() < policy.afternoon_start else Slot.AFTERNOON


def _symptoms_clean(symptoms) -> list[str]:
    symptoms = list(dict.fromkeys(symptoms or []))
    unknown = [s for s in symptoms if s not in Symptom.values]
    if unknown:
        raise DomainError(_("Unknown symptom: %(s)s.") % {"s": ", ".join(map(str, unknown))}, field="symptoms")
    return symptoms


@transaction.atomic
def health_check_record(
    *, actor, order: QuarantineOrder, uid: uuid.UUID, temperature, symptoms=(), symptom_note: str = "",
    method: str = CheckMethod.DOOR, measured_by_name: str = "", checked_at: dt.datetime | None = None, slot: str = "", via: Via,
) -> tuple[HealthCheck, bool]:
    """Record one check (idempotent by the client's `uid`: a retried submission returns the first
    record with created=False). Fever (≥ 37.3 °C) or a symptom raises an alert at once; a check
    for a slot that was escalated as missed closes that alert."""
    require(actor, Capability.RECORD_CHECKS)
    _in_scope_or_assigned(actor, order)
    existing = _replayed(HealthCheck, uid=uid, order=order, missing=_("The check needs a client id (uid)."), conflict=_("This check id was already used for another person."))
    if existing is not None:
        return existing, False
    policy = policy_for(district_id=order.district_id)
    order = _lock(order)
    _require_active(order)
    value = temperature_parse(temperature)
    if value is None:
        raise DomainError(_("Enter the temperature."), field="temperature")
    symptoms = _symptoms_clean(symptoms)
    if Symptom.OTHER in symptoms and not symptom_note.strip():
        raise DomainError(_("Describe the other symptom."), field="symptom_note")
    if method not in CheckMethod.values:
        raise DomainError(_("Choose how the temperature was taken."), field="method")
    now = clock.now()
    checked_at = _aware(checked_at or now)
    if checked_at > now + CLOCK_SLACK:
        raise DomainError(_("The check time is in the future."), field="checked_at")
    day = timezone.localdate(checked_at)
    if not order.start_date <= day <= order.end_date:
        raise DomainError(_("The check is outside the period (%(start)s to %(end)s).") % {"start": order.start_date, "end": order.end_date},
                          field="checked_at")
    slot = slot or _slot_for(policy, checked_at)
    if slot not in Slot.values:
        raise DomainError(_("Choose the morning or the afternoon check."), field="slot")
    abnormal = is_fever(value) or bool(symptoms)
    try:
        with transaction.atomic():
            check = HealthCheck.objects.create(
                uid=uid, district_id=order.district_id, order=order, org_path=order.org_path, day=day, slot=slot, temperature=value,
                symptoms=symptoms, symptom_note=symptom_note.strip()[:200], method=method, measured_by=actor,
                measured_by_name=(measured_by_name or "").strip()[:50] or str(actor)[:50], checked_at=checked_at, is_abnormal=abnormal,
            )
    except IntegrityError:  # the same uid arrived twice at once
        return HealthCheck.objects.get(uid=uid), False
    field = "morning_checked_on" if slot == Slot.MORNING else "afternoon_checked_on"
    updates = {}
    if getattr(order, field) is None or getattr(order, field) < day:
        updates[field] = day
    if order.last_checked_at is None or order.last_checked_at <= checked_at:
        updates.update(last_checked_at=checked_at, last_temperature=value)
    if updates:
        QuarantineOrder.objects.filter(pk=order.pk).update(**updates)
        for k, v in updates.items():
            setattr(order, k, v)
    if abnormal:
        _check_alert(order=order, check=check)
    Alert.objects.filter(key=_overdue_key(order.pk, day, slot), status__in=[Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED]).update(
        status=Alert.Status.CLOSED, closed_at=now, disposition=Alert.Disposition.FOUND,
        outcome=_("Check recorded late at %(time)s.") % {"time": timezone.localtime(checked_at).strftime("%H:%M")})
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="health_check", object_ref=check.uid,
                 object_label=order.resident.name, org_path=order.org_path,
                 detail={"day": str(day), "slot": slot, "temperature": str(value), "symptoms": symptoms})
    return check, True


def _check_alert(*, order: QuarantineOrder, check: HealthCheck) -> Alert:
    fever = is_fever(check.temperature)
    labels = ", ".join(check.symptom_labels())
    detail = f"{check.temperature} °C" + (f"; {labels}" if labels else "")
    return _alert_raise(order=order, kind=Alert.Kind.FEVER if fever else Alert.Kind.SYMPTOM, key=f"check:{check.uid}",
                        detail=detail, health_check=check, raised_at=check.recorded_at)


def _alert_raise(*, order: QuarantineOrder, kind: str, key: str, detail: str, raised_at: dt.datetime,
                 health_check: HealthCheck | None = None) -> Alert:
    alert, _created = Alert.objects.get_or_create(key=key, defaults={
        "district_id": order.district_id, "org_path": order.org_path, "key_person_id": order.key_person_id, "order": order, "kind": kind,
        "detail": detail[:300], "raised_at": raised_at, "health_check": health_check})
    return alert


def breach_alert_raise(*, order: QuarantineOrder, passage_uid, detail: str, raised_at: dt.datetime) -> Alert:
    """A person under this order tried to go out through a checkpoint: an alert to the order's
    cadres at once. Raised by the checkpoints app inside the passage's transaction; once per
    passage and order, so a replayed offline batch raises nothing new."""
    return _alert_raise(order=order, kind=Alert.Kind.BREACH, key=f"breach:{passage_uid}:{order.pk}", detail=detail,
                        raised_at=raised_at)


def _overdue_key(order_id: int, day: dt.date, slot: str) -> str:
    return f"overdue:{order_id}:{day.isoformat()}:{slot}"


def overdue_escalate(*, now: dt.datetime | None = None) -> int:
    """Raise a "missed check" alert for every window that closed without a check, today and
    yesterday (so a run after midnight still catches yesterday's afternoon). Idempotent: an
    alert exists once per order, day and window. Run by `lianfang quarantine_escalate` every
    few minutes; the follow-up list itself needs no job."""
    now = now or clock.now()
    today = timezone.localdate(now)
    raised = 0
    policies = {p.district_id: p for p in QuarantinePolicy.objects.all()}
    default = QuarantinePolicy()
    districts = (QuarantineOrder.objects.filter(status=QuarantineOrder.Status.ACTIVE).order_by()
                 .values_list("district_id", flat=True).distinct())
    for district_id in districts:
        policy = policies.get(district_id, default)
        for day in (today - dt.timedelta(days=1), today):
            for slot, field in ((Slot.MORNING, "morning_checked_on"), (Slot.AFTERNOON, "afternoon_checked_on")):
                _start, end = window_bounds(policy, day, slot)
                if end > now:
                    continue
                missed = (QuarantineOrder.objects
                          .filter(district_id=district_id, status=QuarantineOrder.Status.ACTIVE, end_date__gte=day, checks_from__lt=end)
                          # The column holds the latest day checked: equal to `day` settles it; a later day
                          # says nothing about `day` itself, so the check rows are asked then.
                          .exclude(**{field: day})
                          .exclude(Exists(HealthCheck.objects.filter(order=OuterRef("pk"), day=day, slot=slot)))
                          .values_list("pk", "key_person_id", "org_path"))
                label = _("%(slot)s check of %(day)s missed (window closed %(time)s).") % {
                    "slot": Slot(slot).label, "day": day, "time": timezone.localtime(end).strftime("%H:%M")}
                alerts = [Alert(key=_overdue_key(pk, day, slot), district_id=district_id, org_path=path, key_person_id=kp, order_id=pk,
                                kind=Alert.Kind.OVERDUE, detail=label, raised_at=end)
                          for pk, kp, path in missed.iterator(chunk_size=2000)]
                for i in range(0, len(alerts), 1000):
                    batch = alerts[i:i + 1000]
                    known = set(Alert.objects.filter(key__in=[a.key for a in batch]).values_list("key", flat=True))
                    fresh = [a for a in batch if a.key not in known]
                    # ignore_conflicts: another run raising the same alert at the same moment is harmless.
                    Alert.objects.bulk_create(fresh, ignore_conflicts=True)
                    raised += len(fresh)
    return raised


# --- alerts ---------------------------------------------------------------------------------

def _alert_lock(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("key_person__resident").get(pk=alert.pk)


def _alert_actor(actor, alert: Alert) -> None:
    require(actor, Capability.HANDLE_ALERTS)
    _in_scope_or_assigned(actor, alert.order, org_path=alert.org_path)


@transaction.atomic
def alert_acknowledge(*, actor, alert: Alert, via: Via) -> Alert:
    _alert_actor(actor, alert)
    alert = _alert_lock(alert)
    handled_acknowledge(alert, actor=actor)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="alert", object_ref=alert.uid,
                 object_label=str(alert), org_path=alert.org_path, detail={"status": ["open", "acknowledged"]})
    return alert


@transaction.atomic
def alert_close(*, actor, alert: Alert, disposition: str, outcome: str = "", via: Via) -> Alert:
    """Close with what was done (sent to fever clinic, tested, ruled out...). Closing an open
    alert acknowledges it at the same moment."""
    _alert_actor(actor, alert)
    alert = _alert_lock(alert)
    before = handled_close(alert, actor=actor, disposition=disposition, outcome=outcome, dispositions=Alert.Disposition.values)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="alert", object_ref=alert.uid,
                 object_label=str(alert), org_path=alert.org_path,
                 detail={"status": [before, "closed"], "disposition": disposition, "outcome": alert.outcome})
    return alert


# --- police spot checks and living support --------------------------------------------------

@transaction.atomic
def spot_check_record(*, actor, order: QuarantineOrder, uid: uuid.UUID, result: str, note: str = "",
                      checked_at: dt.datetime | None = None, via: Via) -> tuple[SpotCheck, bool]:
    """A police spot check; absent raises an alert at once. Idempotent by the client's uid."""
    require(actor, Capability.SPOT_CHECK)
    _in_scope_or_assigned(actor, order)
    existing = _replayed(SpotCheck, uid=uid, order=order, missing=_("The spot check needs a client id (uid)."), conflict=_("This spot-check id was already used for another person."))
    if existing is not None:
        return existing, False
    order = _lock(order)
    _require_active(order)
    if result not in SpotCheck.Result.values:
        raise DomainError(_("Choose present or absent."), field="result")
    if order.kind == OrderKind.CENTRAL:
        raise DomainError(_("Spot checks are for home quarantine; the site checks central quarantine."), code="central")
    now = clock.now()
    checked_at = _aware(checked_at or now)
    if checked_at > now + CLOCK_SLACK:
        raise DomainError(_("The check time is in the future."), field="checked_at")
    if result == SpotCheck.Result.ABSENT and not note.strip():
        raise DomainError(_("Say what was found (e.g. nobody answered, neighbours say...)."), field="note")
    spot = SpotCheck.objects.create(uid=uid, order=order, org_path=order.org_path, result=result, note=note.strip()[:300],
                                    checked_by=actor, checked_at=checked_at)
    if result == SpotCheck.Result.ABSENT:
        _alert_raise(order=order, kind=Alert.Kind.ABSENT, key=f"spot:{spot.uid}", detail=spot.note, raised_at=checked_at)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="spot_check", object_ref=spot.uid,
                 object_label=order.resident.name, org_path=order.org_path, detail={"result": result})
    return spot, True


@transaction.atomic
def support_request_open(*, actor, order: QuarantineOrder, uid: uuid.UUID, kind: str, detail: str, via: Via) -> tuple[SupportRequest, bool]:
    require(actor, Capability.LIVING_SUPPORT)
    require_in_jurisdiction(actor, order.org_path)
    existing = _replayed(SupportRequest, uid=uid, order=order, missing=_("The request needs a client id (uid)."), conflict=_("This request id was already used for another person."))
    if existing is not None:
        return existing, False
    order = _lock(order)
    _require_active(order)
    if kind not in SupportRequest.Kind.values:
        raise DomainError(_("Choose what is needed."), field="kind")
    if not (detail or "").strip():
        raise DomainError(_("Say what is needed (e.g. rice 5 kg, blood-pressure tablets)."), field="detail")
    request = SupportRequest.objects.create(uid=uid, order=order, org_path=order.org_path, kind=kind, detail=detail.strip()[:300],
                                            requested_at=clock.now(), created_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="support_request", object_ref=request.uid,
                 object_label=order.resident.name, org_path=order.org_path, detail={"kind": kind})
    return request, True


@transaction.atomic
def support_request_close(*, actor, request: SupportRequest, status: str, fulfilled_by_name: str = "", note: str = "",
                          via: Via) -> SupportRequest:
    """Fulfilled (who brought it, when) or cancelled."""
    require(actor, Capability.LIVING_SUPPORT)
    require_in_jurisdiction(actor, request.org_path)
    request = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if status not in SupportRequest.TRANSITIONS.get(request.status, ()):
        raise DomainError(_("This request is already %(status)s.") % {"status": request.get_status_display()}, code="bad_transition")
    if status == SupportRequest.Status.CANCELLED and not (note or "").strip():
        raise DomainError(_("Say why the request is cancelled."), field="note")
    request.status = status
    request.note = (note or "").strip()[:300]
    if status == SupportRequest.Status.FULFILLED:
        request.fulfilled_by = actor
        request.fulfilled_by_name = (fulfilled_by_name or "").strip()[:50] or str(actor)[:50]
        request.fulfilled_at = clock.now()
    request.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="support_request", object_ref=request.uid,
                 object_label=str(request.detail)[:50], org_path=request.org_path, detail={"status": ["open", status]})
    return request


def cadres_resolve(*, actor, cadres: list[dict]) -> list[dict]:
    """Cadres as typed (duty, name, phone, username) with their user accounts looked up."""
    out = []
    for c in cadres:
        username = (c.get("username") or "").strip()
        if not (username or (c.get("name") or "").strip() or (c.get("phone") or "").strip()):
            continue  # an empty row of the form
        out.append({**c, "user": cadre_user_for(actor=actor, username=username) if username else None})
    return out


def cadre_user_for(*, actor, username: str) -> User:
    """A user named as a cadre must belong to the actor's district."""
    user = User.objects.filter(username=username, is_active=True).select_related("jurisdiction").first()
    if user is None or user.jurisdiction is None or actor.jurisdiction is None \
            or not user.jurisdiction.path.startswith(actor.jurisdiction.path[:8]):
        raise DomainError(_("No user %(username)s in this district.") % {"username": username}, field="cadres")
    return user

