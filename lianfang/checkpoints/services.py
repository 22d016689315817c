"""Every write of the checkpoints app: gates, rosters, pass cards, passages and referrals."""

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.core import clock, idnumbers
from lianfang.core.audit import Via, audit_record, changed_fields
from lianfang.core.errors import DomainError
from lianfang.core.lifecycle import handled_acknowledge, handled_close
from lianfang.core.models import AuditAction, OrgUnit, User, path_ids
from lianfang.core.roles import Capability
from lianfang.core.services import phone_clean, require, require_in_jurisdiction
from lianfang.core.temperature import is_fever, temperature_parse
from lianfang.quarantine import selectors as quarantine_selectors
from lianfang.quarantine import services as quarantine_services
from lianfang.registry.models import Household, Resident

from . import tokens
from .models import (
    DEFAULT_SHIFT_STARTS, Checkpoint, CheckpointKind, Direction, DutyAssignment, DutyShift, Equipment, HealthCode, Outcome, PassCard,
    Passage, Referral, StaffKind, Subject,
)
from .plates import plate_parse

# A phone that was offline for a shift sends a few hundred records; more in one call is a bug
# or an abuse, refused whole.
MAX_BATCH = 500
# Records queued offline may be days old; a time ahead of the server's clock is a wrong clock.
MAX_AGE = dt.timedelta(days=30)
CLOCK_SKEW = dt.timedelta(minutes=10)
# A record reaching the server later than this was queued on a phone without network.
OFFLINE_AFTER = dt.timedelta(minutes=2)
UID_CONFLICT = gettext_lazy("This record id belongs to another record (another gate, or a gate you are not posted to).")


# --- checkpoints ----------------------------------------------------------------------------

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _shift_starts_clean(raw) -> list[str]:
    items = raw.replace("，", ",").split(",") if isinstance(raw, str) else list(raw or [])
    starts = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        match = _TIME.match(item)
        if not match:
            raise DomainError(_("Shift start times are like 08:00, 16:00, 00:00."), field="shift_starts")
        starts.append(f"{int(match[1]):02d}:{match[2]}")
    if len(set(starts)) != len(starts):
        raise DomainError(_("A shift start time is listed twice."), field="shift_starts")
    return starts or list(DEFAULT_SHIFT_STARTS)


def _checkpoint_fields(*, name: str, kind: str, location: str, opens_at, closes_at, equipment, equipment_note: str,
                       is_single_exit: bool, shift_starts) -> dict:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if kind not in CheckpointKind.values:
        raise DomainError(_("Choose the type of checkpoint."), field="kind")
    if (opens_at is None) != (closes_at is None):
        raise DomainError(_("Give both the opening and the closing time, or neither for 24 hours."), field="opens_at")
    if opens_at is not None and opens_at == closes_at:
        raise DomainError(_("Opening and closing times are the same; leave both empty for 24 hours."), field="closes_at")
    equipment = list(dict.fromkeys(equipment or []))
    unknown = [e for e in equipment if e not in Equipment.values]
    if unknown:
        raise DomainError(_("Unknown equipment: %(e)s.") % {"e": ", ".join(map(str, unknown))}, field="equipment")
    return {"name": name, "kind": kind, "location": (location or "").strip(), "opens_at": opens_at, "closes_at": closes_at,
            "equipment": equipment, "equipment_note": (equipment_note or "").strip(), "is_single_exit": bool(is_single_exit),
            "shift_starts": _shift_starts_clean(shift_starts)}


def _single_exit_free(*, org: OrgUnit, exclude_pk: int | None = None) -> None:
    taken = Checkpoint.objects.filter(org=org, is_single_exit=True, is_active=True).exclude(pk=exclude_pk).first()
    if taken is not None:
        raise DomainError(_("%(org)s already has its single exit: %(gate)s. A closed circle has one exit.")
                          % {"org": org.name, "gate": taken.name}, field="is_single_exit", code="single_exit_taken")


@transaction.atomic
def checkpoint_create(*, actor, org: OrgUnit, name: str, kind: str, location: str = "", opens_at=None, closes_at=None,
                      equipment=(), equipment_note: str = "", is_single_exit: bool = False, shift_starts=(), via: Via) -> Checkpoint:
    require(actor, Capability.MANAGE_CHECKPOINTS)
    require_in_jurisdiction(actor, org.path, _("This unit is outside your jurisdiction."), field="org")
    fields = _checkpoint_fields(name=name, kind=kind, location=location, opens_at=opens_at, closes_at=closes_at, equipment=equipment,
                                equipment_note=equipment_note, is_single_exit=is_single_exit, shift_starts=shift_starts)
    if Checkpoint.objects.filter(org=org, name=fields["name"]).exists():
        raise DomainError(_("%(org)s already has a checkpoint named %(name)s.") % {"org": org.name, "name": fields["name"]}, field="name")
    if fields["is_single_exit"]:
        OrgUnit.objects.select_for_update().filter(pk=org.pk).first()  # two at once: the second waits, then sees the first
        _single_exit_free(org=org)
    checkpoint = Checkpoint.objects.create(district_id=path_ids(org.path)[0], org=org, org_path=org.path, created_by=actor, **fields)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="checkpoint", object_ref=checkpoint.uid,
                 object_label=str(checkpoint), org_path=checkpoint.org_path)
    return checkpoint


@transaction.atomic
def checkpoint_update(*, actor, checkpoint: Checkpoint, name: str, kind: str, location: str = "", opens_at=None, closes_at=None,
                      equipment=(), equipment_note: str = "", is_single_exit: bool = False, shift_starts=(), is_active: bool = True,
                      via: Via) -> Checkpoint:
    require(actor, Capability.MANAGE_CHECKPOINTS)
    require_in_jurisdiction(actor, checkpoint.org_path)
    fields = _checkpoint_fields(name=name, kind=kind, location=location, opens_at=opens_at, closes_at=closes_at, equipment=equipment,
                                equipment_note=equipment_note, is_single_exit=is_single_exit, shift_starts=shift_starts)
    fields["is_active"] = bool(is_active)
    if Checkpoint.objects.filter(org_id=checkpoint.org_id, name=fields["name"]).exclude(pk=checkpoint.pk).exists():
        raise DomainError(_("%(org)s already has a checkpoint named %(name)s.") % {"org": checkpoint.org.name, "name": fields["name"]},
                          field="name")
    if fields["is_single_exit"] and fields["is_active"]:
        OrgUnit.objects.select_for_update().filter(pk=checkpoint.org_id).first()
        _single_exit_free(org=checkpoint.org, exclude_pk=checkpoint.pk)
    before = {k: getattr(checkpoint, k) for k in fields}
    for key, value in fields.items():
        setattr(checkpoint, key, value)
    checkpoint.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="checkpoint", object_ref=checkpoint.uid,
                 object_label=str(checkpoint), org_path=checkpoint.org_path, detail=changed_fields(before, fields))
    return checkpoint


def _user_near(user: User, checkpoint: Checkpoint, *, field_name: str, covering: bool) -> None:
    """Staff posted to a gate must have it in their jurisdiction (`covering`), or they could not
    open its page (reads are scoped); an account on a duty shift may also work inside the
    gate's unit (a grid worker at the community gate). Never another street's account."""
    path = user.jurisdiction.path if user.jurisdiction else None
    if path is None or not (checkpoint.org_path.startswith(path) or (not covering and path.startswith(checkpoint.org_path))):
        raise DomainError(_("%(user)s works outside this checkpoint's area.") % {"user": user}, field=field_name)


@transaction.atomic
def checkpoint_staff_set(*, actor, checkpoint: Checkpoint, users: list[User], via: Via) -> Checkpoint:
    """Post checkpoint staff to a gate: they see and record there, and nowhere else."""
    require(actor, Capability.MANAGE_CHECKPOINTS)
    require_in_jurisdiction(actor, checkpoint.org_path)
    for user in users:
        _user_near(user, checkpoint, field_name="staff", covering=True)
    before = sorted(checkpoint.staff.values_list("username", flat=True))
    checkpoint.staff.set(users)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="checkpoint", object_ref=checkpoint.uid,
                 object_label=str(checkpoint), org_path=checkpoint.org_path,
                 detail={"staff": [before, sorted(u.username for u in users)]})
    return checkpoint


# --- duty rosters ---------------------------------------------------------------------------

def shift_bounds(checkpoint: Checkpoint, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The shifts starting on `day` by the gate's pattern; each runs to the next start (the last
    into the next day), so 08:00/16:00/00:00 is three shifts of 8 h."""
    times = sorted(dt.time.fromisoformat(s) for s in (checkpoint.shift_starts or DEFAULT_SHIFT_STARTS))
    starts = [clock.local(day, t) for t in times]
    next_first = clock.local(day + dt.timedelta(days=1), times[0])
    return list(zip(starts, starts[1:] + [next_first]))


@transaction.atomic
def shifts_plan(*, actor, checkpoint: Checkpoint, start: dt.date, days: int = 7, via: Via) -> list[DutyShift]:
    """Lay out the shifts of `days` days from `start`; days already planned keep theirs."""
    require(actor, Capability.MANAGE_CHECKPOINTS)
    require_in_jurisdiction(actor, checkpoint.org_path)
    if not 1 <= days <= 62:
        raise DomainError(_("Plan between 1 and 62 days at a time."), field="days")
    first, last = clock.day_bounds(start - dt.timedelta(days=1), start + dt.timedelta(days=days))
    existing = list(checkpoint.shifts.filter(starts_at__lt=last, ends_at__gt=first).values_list("starts_at", "ends_at"))
    # A pattern changed after planning must not stack a second shift over a planned one.
    new = [DutyShift(checkpoint=checkpoint, org_path=checkpoint.org_path, starts_at=s, ends_at=e)
           for d in range(days) for s, e in shift_bounds(checkpoint, start + dt.timedelta(days=d))
           if not any(s < old_end and e > old_start for old_start, old_end in existing)]
    DutyShift.objects.bulk_create(new)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="duty_shift", object_ref=checkpoint.uid,
                 object_label=str(checkpoint), org_path=checkpoint.org_path,
                 detail={"start": start.isoformat(), "days": days, "shifts": len(new)})
    return new


@transaction.atomic
def duty_assign(*, actor, shift: DutyShift, name: str, phone: str = "", kind: str = StaffKind.VOLUNTEER, user: User | None = None,
                via: Via) -> DutyAssignment:
    require(actor, Capability.MANAGE_CHECKPOINTS)
    require_in_jurisdiction(actor, shift.org_path)
    name = (name or "").strip() or (str(user) if user else "")
    if not name:
        raise DomainError(_("Write the person's name."), field="name")
    if kind not in StaffKind.values:
        raise DomainError(_("Choose what the person serves as."), field="kind")
    if user is not None:
        _user_near(user, shift.checkpoint, field_name="user", covering=False)
    phone = phone_clean(phone) or (user.phone if user else "")
    if shift.assignments.filter(name=name).exists():
        raise DomainError(_("%(name)s is already on this shift.") % {"name": name}, field="name")
    # One person is at one gate at a time: the same account or phone on an overlapping shift elsewhere.
    same = Q(user=user) if user else Q()
    if phone:
        same |= Q(phone=phone)
    clash = (DutyAssignment.objects.filter(same, shift__starts_at__lt=shift.ends_at, shift__ends_at__gt=shift.starts_at)
             .exclude(shift=shift).select_related("shift__checkpoint").first()) if (user or phone) else None
    if clash is not None:
        raise DomainError(_("%(name)s is on duty at %(gate)s at the same time (%(time)s).") % {
            "name": clash.name, "gate": clash.shift.checkpoint.name,
            "time": timezone.localtime(clash.shift.starts_at).strftime("%m-%d %H:%M")}, field="name", code="duty_clash")
    assignment = DutyAssignment.objects.create(shift=shift, name=name, phone=phone, kind=kind, user=user)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="duty_shift", object_ref=shift.uid,
                 object_label=str(shift), org_path=shift.org_path, detail={"assigned": name, "as": kind})
    return assignment


@transaction.atomic
def duty_unassign(*, actor, assignment: DutyAssignment, via: Via) -> None:
    require(actor, Capability.MANAGE_CHECKPOINTS)
    shift = assignment.shift
    require_in_jurisdiction(actor, shift.org_path)
    audit_record(actor=actor, action=AuditAction.DELETE, via=via, object_type="duty_shift", object_ref=shift.uid,
                 object_label=str(shift), org_path=shift.org_path, detail={"unassigned": assignment.name})
    assignment.delete()


@transaction.atomic
def handover_record(*, actor, shift: DutyShift, note: str, via: Via) -> DutyShift:
    """The outgoing shift's note for the next one (what happened, what to watch)."""
    on_post = actor.pk and (shift.assignments.filter(user=actor).exists() or shift.checkpoint.staff.filter(pk=actor.pk).exists())
    if not on_post:  # anyone on the shift or posted to the gate; otherwise the gate's managers
        require(actor, Capability.MANAGE_CHECKPOINTS)
        require_in_jurisdiction(actor, shift.org_path)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Write the handover note."), field="note")
    shift.handover_note, shift.handover_by, shift.handover_at = note, actor, clock.now()
    shift.save(update_fields=["handover_note", "handover_by", "handover_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="duty_shift", object_ref=shift.uid,
                 object_label=str(shift), org_path=shift.org_path, detail={"handover": True})
    return shift


# --- pass cards -----------------------------------------------------------------------------

def _card_new(*, actor, household: Household, resident: Resident | None, replaces: PassCard | None = None) -> PassCard:
    card = PassCard.objects.create(district_id=household.district_id, household=household, resident=resident,
                                   org_path=household.org_path, number=f"T{uuid.uuid4().hex[:12]}", token=tokens.token_new(),
                                   issued_by=actor if getattr(actor, "pk", None) else None, replaces=replaces)
    # A short number people can read out: the district's serial (ids only grow).
    card.number = f"{card.pk:08d}"
    PassCard.objects.filter(pk=card.pk).update(number=card.number)
    return card


def _card_owner_check(*, actor, household: Household, resident: Resident | None) -> None:
    require(actor, Capability.MANAGE_CHECKPOINTS)
    require_in_jurisdiction(actor, household.org_path, _("This household is outside your jurisdiction."), field="household")
    if resident is not None and resident.household_id != household.pk:
        raise DomainError(_("This person does not belong to the household."), field="resident")


@transaction.atomic
def pass_card_issue(*, actor, household: Household, resident: Resident | None = None, via: Via) -> PassCard:
    """One valid card per household (or per resident, when cards are personal)."""
    _card_owner_check(actor=actor, household=household, resident=resident)
    Household.objects.select_for_update().filter(pk=household.pk).first()  # two issues at once: one card
    current = PassCard.objects.filter(household=household, resident=resident, status=PassCard.Status.ACTIVE).first()
    if current is not None:
        raise DomainError(_("A valid card %(number)s exists already; reissue it to replace it.") % {"number": current.number},
                          code="card_exists")
    card = _card_new(actor=actor, household=household, resident=resident)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="pass_card", object_ref=card.uid,
                 object_label=card.number, org_path=card.org_path)
    return card


@transaction.atomic
def pass_cards_issue_for(*, actor, org: OrgUnit, via: Via) -> int:
    """A card for every household under `org` (a compound, a building) that has none: what the
    community does before printing the sheets."""
    require(actor, Capability.MANAGE_CHECKPOINTS)
    require_in_jurisdiction(actor, org.path, _("This unit is outside your jurisdiction."), field="org")
    from lianfang.core.scoping import subtree_q

    have = PassCard.objects.filter(status=PassCard.Status.ACTIVE, resident__isnull=True).values("household_id")
    households = list(Household.objects.filter(subtree_q("org_path", org.path)).exclude(pk__in=have).order_by("org_path", "room", "pk"))
    for household in households:
        _card_new(actor=actor, household=household, resident=None)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="pass_card", object_label=org.name, org_path=org.path,
                 detail={"issued": len(households)})
    return len(households)


def _revoke(card: PassCard, *, actor, reason: str) -> PassCard:
    card = PassCard.objects.select_for_update().get(pk=card.pk)
    if card.status != PassCard.Status.ACTIVE:
        raise DomainError(_("Card %(number)s is already revoked.") % {"number": card.number}, code="bad_transition")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the card is revoked (lost, moved out...)."), field="reason")
    card.status, card.revoked_at, card.revoked_by, card.revoke_reason = PassCard.Status.REVOKED, clock.now(), actor, reason[:200]
    card.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    return card


@transaction.atomic
def pass_card_revoke(*, actor, card: PassCard, reason: str, via: Via) -> PassCard:
    _card_owner_check(actor=actor, household=card.household, resident=card.resident)
    card = _revoke(card, actor=actor, reason=reason)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="pass_card", object_ref=card.uid,
                 object_label=card.number, org_path=card.org_path, detail={"status": ["active", "revoked"], "reason": card.revoke_reason})
    return card


@transaction.atomic
def pass_card_reissue(*, actor, card: PassCard, reason: str, via: Via) -> PassCard:
    """Revoke a lost or damaged card and issue its replacement with a new code."""
    _card_owner_check(actor=actor, household=card.household, resident=card.resident)
    old = _revoke(card, actor=actor, reason=reason)
    new = _card_new(actor=actor, household=old.household, resident=old.resident, replaces=old)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="pass_card", object_ref=new.uid,
                 object_label=new.number, org_path=new.org_path, detail={"replaces": old.number, "reason": old.revoke_reason})
    return new


# --- passages -------------------------------------------------------------------------------

@dataclass
class PassageDraft:
    """One record as the gate sends it (typed fields still raw)."""

    uid: object
    checkpoint: object
    at: object
    direction: str
    card: str = ""
    id_number: str = ""
    name: str = ""
    phone: str = ""
    temperature: object = None
    mask: bool | None = None
    health_code: str = ""
    plate: str = ""
    disinfected: bool | None = None
    purpose: str = ""
    outcome: str = Outcome.PASSED
    turn_back_reason: str = ""


@dataclass
class PassageResult:
    passage: Passage
    created: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class RecordError:
    index: int
    uid: str
    field: str | None
    message: str
    code: str


class BatchInvalid(DomainError):
    """Some records of a batch are wrong: none is stored; `errors` names each by position."""

    status = 422

    def __init__(self, errors: list[RecordError]):
        first = errors[0]
        super().__init__(_("%(n)d record(s) could not be stored (first: record %(i)d, %(message)s). Nothing was stored.")
                         % {"n": len(errors), "i": first.index + 1, "message": first.message}, code="batch_invalid")
        self.errors = errors


@dataclass
class _Lookups:
    """What a batch needs from the database, fetched once per batch, not once per record."""

    checkpoints: dict[str, Checkpoint]
    cards: dict[str, PassCard]
    residents_by_id_number: dict[str, Resident]


def _as_uuid(value, *, field_name: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise DomainError(_("A record needs its id generated on the phone (a UUID)."), field=field_name, code="uid")


def _at_clean(value, now: dt.datetime) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        raise DomainError(_("The time of the passage is missing or not a date and time."), field="at", code="at")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + CLOCK_SKEW:
        raise DomainError(_("The time of the passage is in the future: check the phone's clock."), field="at", code="at")
    if value < now - MAX_AGE:
        raise DomainError(_("The passage is more than 30 days old."), field="at", code="at")
    return value


def _gate_lookups(*, actor, drafts: list[PassageDraft]) -> _Lookups:
    from .selectors import visible_checkpoints

    checkpoint_uids = set()
    for d in drafts:
        try:
            checkpoint_uids.add(_as_uuid(d.checkpoint, field_name="checkpoint"))
        except DomainError:
            pass
    # .order_by(): the models' default ordering would cost a sort per lookup (and its SQL building, per request).
    checkpoints = {str(c.uid): c for c in visible_checkpoints(actor).filter(uid__in=checkpoint_uids).order_by()}
    card_tokens = set()
    for d in drafts:
        if (d.card or "").strip():
            try:
                card_tokens.add(tokens.token_from_code(d.card))
            except DomainError:
                pass
    cards = {c.token: c for c in PassCard.objects.filter(token__in=card_tokens).select_related("household", "resident").order_by()}
    id_numbers = set()
    for d in drafts:
        if (d.id_number or "").strip():
            try:
                id_numbers.add(idnumbers.parse(d.id_number).number)
            except idnumbers.IdNumberError:
                pass
    district_ids = {c.district_id for c in checkpoints.values()}
    residents = {r.id_number: r for r in Resident.objects.filter(id_number__in=id_numbers, district_id__in=district_ids)
                 .only("pk", "name", "id_number", "phone", "household_id", "org_path", "district_id").order_by()} if id_numbers else {}
    return _Lookups(checkpoints=checkpoints, cards=cards, residents_by_id_number=residents)


def _passage_build(draft: PassageDraft, *, uid: uuid.UUID, actor, lookups: _Lookups, now: dt.datetime) -> Passage:
    """Validate one record and build its row (unsaved). Raises DomainError naming the field."""
    checkpoint = lookups.checkpoints.get(str(_as_uuid(draft.checkpoint, field_name="checkpoint")))
    if checkpoint is None:
        raise DomainError(_("Unknown checkpoint, or not one you are posted to."), field="checkpoint", code="checkpoint")
    if not checkpoint.is_active:
        raise DomainError(_("This checkpoint is out of service."), field="checkpoint", code="checkpoint")
    at = _at_clean(draft.at, now)
    if draft.direction not in Direction.values:
        raise DomainError(_("Choose in or out."), field="direction", code="direction")
    row = Passage(uid=uid, district_id=checkpoint.district_id, checkpoint=checkpoint, org_path=checkpoint.org_path, at=at,
                  direction=draft.direction, recorded_by=actor if getattr(actor, "pk", None) else None, recorded_at=now)
    card_code, id_raw = (draft.card or "").strip(), (draft.id_number or "").strip()
    if card_code and id_raw:
        raise DomainError(_("Scan the card or type the ID number, not both."), field="card", code="identity")
    if card_code:
        card = lookups.cards.get(tokens.token_from_code(card_code))
        if card is None or card.district_id != checkpoint.district_id:
            raise DomainError(_("This pass card is not known: it may belong to another system."), field="card", code="card_unknown")
        if not card.is_active:
            raise DomainError(_("Card %(number)s was revoked on %(day)s (%(reason)s). Register the person by ID number.")
                              % {"number": card.number, "day": timezone.localdate(card.revoked_at), "reason": card.revoke_reason},
                              field="card", code="card_revoked")
        row.subject, row.card, row.household = Subject.CARD, card, card.household
        row.resident = card.resident
        # A household card does not say which member passed: the address names it, its phone reaches it.
        row.name = card.resident.name if card.resident else card.household.address[:50]
        row.phone = card.resident.phone if card.resident else card.household.phone
    elif id_raw:
        try:
            number = idnumbers.parse(id_raw).number
        except idnumbers.IdNumberError as e:
            raise DomainError(_("ID number: %(reason)s.") % {"reason": e}, field="id_number", code="id_number")
        resident = lookups.residents_by_id_number.get(number)
        row.subject, row.id_number = Subject.ID_NUMBER, number
        if resident is not None:
            row.resident, row.household_id, row.name, row.phone = resident, resident.household_id, resident.name, resident.phone
        else:
            row.name = (draft.name or "").strip()[:50]
            if not row.name:
                raise DomainError(_("This ID number is not registered here: also write the person's name."), field="name", code="name")
        if (draft.phone or "").strip():
            row.phone = phone_clean(draft.phone)
    else:
        row.subject = Subject.VISITOR
        row.name = (draft.name or "").strip()[:50]
        if not row.name:
            raise DomainError(_("Scan a pass card, type an ID number, or write a visitor's name and phone."), field="name", code="identity")
        if not (draft.phone or "").strip():
            raise DomainError(_("A visitor's phone is required (一人一登记)."), field="phone", code="phone")
        row.phone = phone_clean(draft.phone)
    home_path = row.resident.org_path if row.resident else row.household.org_path if row.household else ""
    row.is_visitor = not (home_path and home_path.startswith(checkpoint.org_path))
    row.temperature = temperature_parse(draft.temperature)
    if row.temperature is None and row.direction == Direction.IN:
        raise DomainError(_("Take the temperature of everyone coming in."), field="temperature", code="temperature")
    row.is_fever = is_fever(row.temperature)
    row.mask = draft.mask
    if draft.health_code not in ("", *HealthCode.values):
        raise DomainError(_("The health code is green, yellow or red."), field="health_code", code="health_code")
    row.health_code = draft.health_code
    row.plate = plate_parse(draft.plate)
    row.disinfected = draft.disinfected if row.plate else None
    row.purpose = (draft.purpose or "").strip()[:200]
    if draft.outcome not in Outcome.values:
        raise DomainError(_("The outcome is passed, turned back or referred."), field="outcome", code="outcome")
    row.outcome = draft.outcome
    row.turn_back_reason = (draft.turn_back_reason or "").strip()[:200]
    if row.outcome == Outcome.TURNED_BACK and not row.turn_back_reason:
        raise DomainError(_("Say why the person was turned back."), field="turn_back_reason", code="turn_back_reason")
    return row


def _referral_reasons(row: Passage) -> list[str]:
    reasons = [Referral.Reason.FEVER] if row.is_fever else []
    if row.health_code == HealthCode.YELLOW:
        reasons.append(Referral.Reason.YELLOW_CODE)
    elif row.health_code == HealthCode.RED:
        reasons.append(Referral.Reason.RED_CODE)
    if not reasons and row.outcome == Outcome.REFERRED:  # the gate's own judgement (a cough, feeling unwell)
        reasons.append(Referral.Reason.BY_GATE)
    return reasons


def _apply_rules(row: Passage, orders: list, names: list[str]) -> list[str]:
    """The gate's rules on a valid record: fever or a yellow/red code is referred; a person under
    an active quarantine order going out is stopped (a breach). Returns what the gate is told;
    `names` are the people under those orders."""
    notes = []
    if row.direction == Direction.OUT and orders:
        row.is_breach = True
        until = max(o.end_date for o in orders)
        who = "、".join(names) or row.name
        if row.recorded_at - row.at > OFFLINE_AFTER:
            # Recorded offline: the gate could not know, and what it did stands; the cadres must go and look.
            notes.append(_("%(name)s is under quarantine until %(day)s and went out while this phone was offline. "
                           "The responsible cadres have been alerted.") % {"name": who, "day": until})
        else:
            row.outcome = Outcome.TURNED_BACK
            row.turn_back_reason = (_("Under quarantine until %(day)s: may not go out.") % {"day": until})[:200]
            notes.append(_("Stop: %(name)s is under quarantine until %(day)s. The responsible cadres have been alerted.")
                         % {"name": who, "day": until})
    if _referral_reasons(row):
        row.outcome = Outcome.REFERRED
        notes.append(_("Refer to the fever clinic (%(why)s); the community has been alerted.")
                     % {"why": ", ".join(str(Referral.Reason(r).label) for r in _referral_reasons(row))})
    return notes


def _orders_at_gate(rows: list[Passage]) -> dict[int, tuple[list, list[str]]]:
    """{row index: (active orders, their people's names)} for the people going out: the card's
    person, or for a household card everyone of the household under quarantine (the card is
    blocked from exit)."""
    going_out = [(i, r) for i, r in enumerate(rows) if r.direction == Direction.OUT and (r.resident_id or r.household_id)]
    if not going_out:
        return {}
    household_cards = {r.household_id for _i, r in going_out if r.resident_id is None}
    members: dict[int, list[int]] = {}
    names = {r.resident_id: r.resident.name for _i, r in going_out if r.resident_id}
    for pk, household_id, name in (Resident.objects.filter(household_id__in=household_cards).order_by("pk")
                                   .values_list("pk", "household_id", "name")):
        members.setdefault(household_id, []).append(pk)
        names[pk] = name
    wanted = {i: [r.resident_id] if r.resident_id else members.get(r.household_id, []) for i, r in going_out}
    orders = quarantine_selectors.active_orders_of(resident_ids={pk for ids in wanted.values() for pk in ids})
    found = {}
    for i, ids in wanted.items():
        # An order entered ahead of its start date does not hold the person yet.
        day = timezone.localdate(rows[i].at)
        held = [pk for pk in ids if pk in orders and orders[pk].start_date <= day]
        if held:
            found[i] = ([orders[pk] for pk in held], [names.get(pk, "") for pk in held])
    return found


def passages_record(*, actor, drafts: list[PassageDraft], via: Via) -> list[PassageResult]:
    """Store a batch of passages (one gate's offline queue, or a single record) all or nothing.

    Idempotent by the phone's uid: a record already stored is answered as it was stored
    (created=False) and changes nothing, so the same batch replayed, overlapping batches and
    batches arriving out of order store every record once. An invalid record refuses the
    whole batch with every error listed (BatchInvalid). Two replays racing on PostgreSQL: the
    loser's insert hits the unique uid, and the batch is read again as a replay."""
    require(actor, Capability.RECORD_PASSAGES)
    if not drafts:
        raise DomainError(_("The batch is empty."), code="batch_empty")
    if len(drafts) > MAX_BATCH:
        raise DomainError(_("A batch holds at most %(max)d records; this one has %(n)d. Send it in parts.")
                          % {"max": MAX_BATCH, "n": len(drafts)}, code="batch_too_large")
    try:
        return _passages_store(actor=actor, drafts=drafts, via=via)
    except IntegrityError:
        return _passages_store(actor=actor, drafts=drafts, via=via)


@transaction.atomic
def _passages_store(*, actor, drafts: list[PassageDraft], via: Via) -> list[PassageResult]:
    now = clock.now()
    errors: list[RecordError] = []
    uids: list[uuid.UUID | None] = []
    for i, d in enumerate(drafts):
        try:
            uids.append(_as_uuid(d.uid, field_name="uid"))
        except DomainError as e:
            uids.append(None)
            errors.append(RecordError(i, str(d.uid or ""), e.field, str(e.message), e.code))
    existing = {p.uid: p for p in Passage.objects.filter(uid__in=[u for u in uids if u]).select_related("checkpoint").order_by()}
    lookups = _gate_lookups(actor=actor, drafts=drafts)
    visible_ids = {c.pk for c in lookups.checkpoints.values()}
    results: list[PassageResult | None] = []
    new_rows: list[Passage] = []
    seen: dict[uuid.UUID, PassageResult] = {}
    for i, (draft, uid) in enumerate(zip(drafts, uids)):
        if uid is None:
            results.append(None)
            continue
        if uid in seen:  # the same record twice in one batch: stored once
            if str(seen[uid].passage.checkpoint.uid) != str(draft.checkpoint).lower():
                errors.append(RecordError(i, str(uid), "uid", str(UID_CONFLICT), "uid_conflict"))
                results.append(None)
                continue
            results.append(PassageResult(seen[uid].passage, False, seen[uid].notes))
            continue
        if uid in existing:
            stored = existing[uid]
            # A replay answers with the stored record, so only for a gate the actor records at
            # (and the same gate): a uid is no key to someone else's ledger.
            mine = stored.checkpoint_id in visible_ids or (stored.recorded_by_id is not None and stored.recorded_by_id == actor.pk)
            if not mine or str(stored.checkpoint.uid) != str(draft.checkpoint).lower():
                errors.append(RecordError(i, str(uid), "uid", str(UID_CONFLICT), "uid_conflict"))
                results.append(None)
                continue
            seen[uid] = PassageResult(stored, False)
            results.append(seen[uid])
            continue
        try:
            row = _passage_build(draft, uid=uid, actor=actor, lookups=lookups, now=now)
        except DomainError as e:
            errors.append(RecordError(i, str(uid), e.field, str(e.message), e.code))
            results.append(None)
            continue
        seen[uid] = PassageResult(row, True)
        results.append(seen[uid])
        new_rows.append(row)
    if errors:
        raise BatchInvalid(errors)
    orders_by_row = _orders_at_gate(new_rows)
    for i, row in enumerate(new_rows):
        orders, names = orders_by_row.get(i, ([], []))
        seen[row.uid].notes[:] = _apply_rules(row, orders, names)  # in place: a repeat in the batch shares it
    Passage.objects.bulk_create(new_rows)
    _side_effects(new_rows, orders_by_row)
    if new_rows:
        audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="passage", org_path=new_rows[0].org_path,
                     object_label=str(new_rows[0].checkpoint), detail={"stored": len(new_rows), "replayed": len(drafts) - len(new_rows)})
    return results


def _side_effects(rows: list[Passage], orders_by_row: dict[int, list]) -> None:
    referrals = [Referral(district_id=r.district_id, org_path=r.org_path, passage=r, reasons=_referral_reasons(r), raised_at=r.at)
                 for r in rows if _referral_reasons(r)]
    Referral.objects.bulk_create(referrals)
    for i, (orders, _names) in orders_by_row.items():
        row = rows[i]
        for order in orders:
            if row.outcome == Outcome.TURNED_BACK:
                detail = _("Tried to go out at %(gate)s; turned back.") % {"gate": row.checkpoint.name}
            else:  # recorded offline: the gate could not stop them
                detail = _("Went out at %(gate)s while the gate's phone was offline: go and check.") % {"gate": row.checkpoint.name}
            quarantine_services.breach_alert_raise(order=order, passage_uid=row.uid, detail=detail, raised_at=row.at)


def passage_record(*, actor, draft: PassageDraft, via: Via) -> PassageResult:
    """One record (the gate online, or the API's single endpoint): a batch of one."""
    try:
        return passages_record(actor=actor, drafts=[draft], via=via)[0]
    except BatchInvalid as e:
        first = e.errors[0]
        raise DomainError(first.message, field=first.field, code=first.code)


# --- referrals ------------------------------------------------------------------------------

def _referral_lock(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().select_related("passage").get(pk=referral.pk)


@transaction.atomic
def referral_acknowledge(*, actor, referral: Referral, via: Via) -> Referral:
    require(actor, Capability.HANDLE_ALERTS)
    require_in_jurisdiction(actor, referral.org_path)
    referral = _referral_lock(referral)
    handled_acknowledge(referral, actor=actor)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="referral", object_ref=referral.uid,
                 object_label=str(referral), org_path=referral.org_path, detail={"status": ["open", "acknowledged"]})
    return referral


@transaction.atomic
def referral_close(*, actor, referral: Referral, disposition: str, outcome: str = "", via: Via) -> Referral:
    """Close the loop: arrived at the clinic, ruled out, quarantined... Closing an open referral
    acknowledges it at the same moment."""
    require(actor, Capability.HANDLE_ALERTS)
    require_in_jurisdiction(actor, referral.org_path)
    referral = _referral_lock(referral)
    before = handled_close(referral, actor=actor, disposition=disposition, outcome=outcome, dispositions=Referral.Disposition.values)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="referral", object_ref=referral.uid,
                 object_label=str(referral), org_path=referral.org_path,
                 detail={"status": [before, "closed"], "disposition": disposition, "outcome": referral.outcome})
    return referral


@transaction.atomic
def checkpoints_deidentify(*, district: OrgUnit, via: Via, actor=None) -> int:
    """With registry_deidentify (PIPL 2021): keep the counts per gate, day and outcome; drop
    who passed (names, ID numbers, phones, plates, purposes) and the duty staff's phones."""
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Cast, Concat

    count = Passage.objects.filter(district=district).update(
        name=Concat(Value("通行"), Cast(F("pk"), output_field=CharField())), id_number=None, phone="", plate="", purpose="",
        turn_back_reason="—")
    Passage.objects.filter(district=district).exclude(outcome=Outcome.TURNED_BACK).update(turn_back_reason="")
    Referral.objects.filter(district=district).update(outcome="")
    DutyAssignment.objects.filter(shift__checkpoint__district=district).update(phone="")
    audit_record(actor=actor, action=AuditAction.DELETE, via=via, object_type="passage", object_label=district.name,
                 org_path=district.path, detail={"deidentified_passages": count})
    return count
