"""Writes of cases, trajectories and contacts. A case or contact living in the actor's area is
handed to the quarantine app through its entry points (`key_person_register`,
`quarantine_order_start`, `key_person_recategorise`) in the same transaction."""

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lianfang.core import clock, idnumbers
from lianfang.core.audit import Via, audit_record, changed_fields
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditAction, AuditEntry, OrgUnit
from lianfang.core.roles import Capability, has_capability
from lianfang.core.scoping import scoped, subtree_q
from lianfang.core.services import phone_clean, require, require_in_jurisdiction
from lianfang.quarantine import services as quarantine
from lianfang.quarantine.models import (
    Category,
    KeyPerson,
    OrderKind,
    QuarantineOrder,
    Source,
)
from lianfang.quarantine.policy import policy_for
from lianfang.registry.models import Resident

from .models import (
    CLASSIFICATION_TRANSITIONS,
    Case,
    Classification,
    ClassificationChange,
    Contact,
    ContactKind,
    Setting,
    TrajectoryEntry,
)

# The key-person category a case or contact is watched under.
CASE_CATEGORY = {
    Classification.SUSPECTED: Category.SUSPECTED_CASE,
    Classification.CONFIRMED: Category.CONFIRMED_CASE,
    Classification.ASYMPTOMATIC: Category.ASYMPTOMATIC,
}
CONTACT_CATEGORY = {ContactKind.CLOSE: Category.CLOSE_CONTACT, ContactKind.SECONDARY: Category.SECONDARY_CONTACT}
# Close contacts stay at home under quarantine, secondary contacts under medical observation,
# unless the tracer says otherwise; central quarantine needs a room and is ordered from the
# quarantine pages.
CONTACT_ORDER_KIND = {ContactKind.CLOSE: OrderKind.HOME_QUARANTINE, ContactKind.SECONDARY: OrderKind.HOME_OBSERVATION}
CASE_FIELDS = ("onset_date", "confirmed_on", "hospital", "status", "cluster", "note")
_UNSET = object()



def _id_number_clean(raw: str | None) -> str | None:
    if not (raw or "").strip():
        return None
    try:
        return idnumbers.parse(raw).number
    except idnumbers.IdNumberError as e:
        raise DomainError(str(e), field="id_number")


def _person(*, actor, district: OrgUnit, resident: Resident | None, name: str, id_number: str, phone: str) -> dict:
    """Who a case or contact is: a resident of the actor's area (found by their ID number when
    typed in), or a person typed in. Someone registered in another part of the district stays
    typed in and is handed over (nothing tells the actor that the number is known elsewhere)."""
    number = _id_number_clean(id_number)
    if resident is None and number:
        resident = scoped(Resident.objects.filter(district=district, id_number=number), actor).first()
    if resident is not None:
        require_in_jurisdiction(actor, resident.org_path)
        return {"resident": resident, "name": resident.name, "id_number": None, "phone": ""}
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the person's name."), field="name")
    return {"resident": None, "name": name[:50], "id_number": number, "phone": phone_clean(phone)}


def _not_in_future(day: dt.date | None, field: str) -> None:
    if day is not None and day > clock.today():
        raise DomainError(_("This date lies in the future."), field=field)


def _check_source(case: Case | None, infected_by: Case | None) -> None:
    """`infected_by` must be another case of the district and must not close a loop."""
    if infected_by is None:
        return
    if case is not None and infected_by.district_id != case.district_id:
        raise DomainError(_("The source case is not in this district."), field="infected_by")
    if case is None or case.pk is None:
        return
    seen, current = set(), infected_by.pk
    while current is not None and current not in seen:
        if current == case.pk:
            raise DomainError(_("This would make the case its own source."), field="infected_by")
        seen.add(current)
        current = Case.objects.filter(pk=current).values_list("infected_by_id", flat=True).first()


def _key_person_for_case(*, actor, case: Case, reason: str, via: Via) -> None:
    """A resident case is watched as a key person of the case's category (a contact who was
    already watched keeps their file, recategorised)."""
    category = CASE_CATEGORY.get(case.classification)
    if case.resident_id is None or category is None:
        return
    person, created = quarantine.key_person_register(
        actor=actor, resident=case.resident, category=category, source=Source.TRACING, source_ref=f"case {case.uid}",
        reason=reason, via=via)
    if not created and person.category != category:
        quarantine.key_person_recategorise(actor=actor, key_person=person, category=category, reason=reason, via=via)
    if case.key_person_id != person.pk:
        case.key_person = person
        case.save(update_fields=["key_person", "updated_at"])


@transaction.atomic
def case_register(
    *, actor, org: OrgUnit | None = None, resident: Resident | None = None, name: str = "", id_number: str = "", phone: str = "",
    classification: str = Classification.SUSPECTED, onset_date: dt.date | None = None, reported_on: dt.date | None = None,
    confirmed_on: dt.date | None = None, hospital: str = "", cluster: str = "", infected_by: Case | None = None, note: str = "",
    via: Via,
) -> Case:
    """Register a case. A resident is scoped to where they live; anyone else to `org`, the unit
    that reported the case (the actor's own unit by default)."""
    require(actor, Capability.TRACE_CASES)
    if actor.jurisdiction is None:
        raise PermissionDenied()
    org = org or actor.jurisdiction
    require_in_jurisdiction(actor, org.path)
    district = OrgUnit.objects.get(pk=int(org.path[:8]))
    person = _person(actor=actor, district=district, resident=resident, name=name, id_number=id_number, phone=phone)
    if classification not in CASE_CATEGORY:
        raise DomainError(_("A case is registered as suspected, confirmed or asymptomatic."), field="classification")
    today = clock.today()
    reported_on = reported_on or today
    for field, day in (("onset_date", onset_date), ("reported_on", reported_on), ("confirmed_on", confirmed_on)):
        _not_in_future(day, field)
    if onset_date and onset_date > reported_on:
        raise DomainError(_("The onset cannot be after the report."), field="onset_date")
    if classification == Classification.CONFIRMED:
        confirmed_on = confirmed_on or today
    if infected_by is not None:
        require_in_jurisdiction(actor, infected_by.org_path)
        if infected_by.district_id != district.pk:
            raise DomainError(_("The source case is not in this district."), field="infected_by")
    if person["resident"] is not None:
        place = person["resident"].household.org
        if Case.objects.filter(resident=person["resident"]).exclude(classification=Classification.EXCLUDED).exists():
            raise DomainError(_("%(name)s is already an open case.") % {"name": person["name"]}, code="open_case")
    else:
        place = org
    try:
        with transaction.atomic():
            case = Case.objects.create(
                district=district, org=place, org_path=place.path, classification=classification, onset_date=onset_date,
                reported_on=reported_on, confirmed_on=confirmed_on, hospital=hospital.strip()[:100], cluster=cluster.strip()[:100],
                infected_by=infected_by, note=note.strip(), created_by=actor, **person)
    except IntegrityError:  # the same resident registered a moment ago
        raise DomainError(_("%(name)s is already an open case.") % {"name": person["name"]}, code="open_case")
    ClassificationChange.objects.create(case=case, to_value=classification, reason=_("Registered"), actor=actor, at=clock.now())
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="case", object_ref=case.uid, object_label=case.name,
                 org_path=case.org_path, detail={"classification": classification,
                                                 "infected_by": str(infected_by.uid) if infected_by else ""})
    _key_person_for_case(actor=actor, case=case, reason=_("Registered as a %(classification)s case") % {
        "classification": case.get_classification_display().lower()}, via=via)
    return case


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("resident").get(pk=case.pk)


@transaction.atomic
def case_classify(*, actor, case: Case, classification: str, reason: str = "", confirmed_on: dt.date | None = None,
                  via: Via) -> Case:
    """Change a case's classification along CLASSIFICATION_TRANSITIONS; the history keeps who,
    when and why, and the person's key-person file follows."""
    require(actor, Capability.TRACE_CASES)
    require_in_jurisdiction(actor, case.org_path)
    case = _lock(case)
    if classification not in CLASSIFICATION_TRANSITIONS.get(case.classification, ()):
        raise DomainError(_("A %(from)s case cannot become %(to)s.") % {
            "from": case.get_classification_display().lower(),
            "to": dict(Classification.choices).get(classification, classification)}, field="classification", code="bad_transition")
    reason = (reason or "").strip()
    if classification == Classification.EXCLUDED and not reason:
        raise DomainError(_("Say why the case is excluded (e.g. two negative tests)."), field="reason")
    _not_in_future(confirmed_on, "confirmed_on")
    before = {"classification": case.classification, "confirmed_on": case.confirmed_on}
    if classification == Classification.CONFIRMED:
        case.confirmed_on = confirmed_on or case.confirmed_on or clock.today()
    ClassificationChange.objects.create(case=case, from_value=case.classification, to_value=classification, reason=reason,
                                        actor=actor, at=clock.now())
    case.classification = classification
    case.save(update_fields=["classification", "confirmed_on", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="case", object_ref=case.uid, object_label=case.name,
                 org_path=case.org_path, detail=changed_fields(before, {"classification": classification,
                                                                        "confirmed_on": case.confirmed_on}))
    if classification in CASE_CATEGORY:
        _key_person_for_case(actor=actor, case=case, reason=reason or _("Classified as %(classification)s") % {
            "classification": case.get_classification_display().lower()}, via=via)
    return case


@transaction.atomic
def case_update(*, actor, case: Case, via: Via, infected_by=_UNSET, **values) -> Case:
    """Change what is known of a case: onset, confirmation date, hospital, status, cluster, note,
    and the source case (`infected_by`, None to clear)."""
    require(actor, Capability.TRACE_CASES)
    require_in_jurisdiction(actor, case.org_path)
    case = _lock(case)
    unknown = set(values) - set(CASE_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field: %(field)s") % {"field": ", ".join(sorted(unknown))})
    before = {k: getattr(case, k) for k in CASE_FIELDS}
    after = dict(before, **{k: (v.strip() if isinstance(v, str) and k != "status" else v) for k, v in values.items()})
    if after["status"] != case.status and after["status"] not in Case.STATUS_TRANSITIONS.get(case.status, ()):
        raise DomainError(_("A case %(from)s cannot become %(to)s.") % {
            "from": case.get_status_display().lower(), "to": dict(Case.Status.choices).get(after["status"], after["status"])},
            field="status", code="bad_transition")
    for field in ("onset_date", "confirmed_on"):
        _not_in_future(after[field], field)
    if after["onset_date"] and after["onset_date"] > case.reported_on:
        raise DomainError(_("The onset cannot be after the report."), field="onset_date")
    if case.classification == Classification.CONFIRMED and after["confirmed_on"] is None:
        raise DomainError(_("A confirmed case has a confirmation date."), field="confirmed_on")
    after["hospital"], after["cluster"] = after["hospital"][:100], after["cluster"][:100]
    if infected_by is not _UNSET:
        if infected_by is not None:
            require_in_jurisdiction(actor, infected_by.org_path)
            _check_source(case, infected_by)
        before["infected_by"] = str(case.infected_by.uid) if case.infected_by_id else ""
        after["infected_by"] = str(infected_by.uid) if infected_by is not None else ""
        case.infected_by = infected_by
    for k in CASE_FIELDS:
        setattr(case, k, after[k])
    case.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="case", object_ref=case.uid, object_label=case.name,
                 org_path=case.org_path, detail=changed_fields(before, after))
    return case


# --- trajectory -----------------------------------------------------------------------------

@transaction.atomic
def trajectory_add(*, actor, case: Case, place: str, started_at: dt.datetime, ended_at: dt.datetime, note: str = "",
                   via: Via) -> TrajectoryEntry:
    require(actor, Capability.TRACE_CASES)
    require_in_jurisdiction(actor, case.org_path)
    place = (place or "").strip()
    if not place:
        raise DomainError(_("Give the place."), field="place")
    if started_at is None or ended_at is None:
        raise DomainError(_("Give when the case was there, from and to."), field="started_at")
    if ended_at < started_at:
        raise DomainError(_("The end is before the start."), field="ended_at")
    if started_at > clock.now():
        raise DomainError(_("This time lies in the future."), field="started_at")
    entry = TrajectoryEntry.objects.create(case=case, place=place[:200], started_at=started_at, ended_at=ended_at,
                                           note=(note or "").strip()[:300], created_by=actor)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="case", object_ref=case.uid, object_label=case.name,
                 org_path=case.org_path, detail={"trajectory_added": entry.place})
    return entry


@transaction.atomic
def trajectory_remove(*, actor, entry: TrajectoryEntry, via: Via) -> None:
    require(actor, Capability.TRACE_CASES)
    case = entry.case
    require_in_jurisdiction(actor, case.org_path)
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="case", object_ref=case.uid, object_label=case.name,
                 org_path=case.org_path, detail={"trajectory_removed": entry.place})
    entry.delete()


# --- contacts -------------------------------------------------------------------------------

def _order_start_date(*, district_id: int, category: str, last_exposure_on: dt.date | None) -> dt.date:
    """Quarantine counts from the last exposure (a contact met on the 3rd is watched 14 days from
    the 3rd); from today when that period has already run out or the exposure is unknown."""
    today = clock.today()
    if last_exposure_on is None:
        return today
    days = policy_for(district_id=district_id).days_for(category)
    return last_exposure_on if QuarantineOrder.end_for(last_exposure_on, days) >= today else today


@transaction.atomic
def contact_add(
    *, actor, case: Case, kind: str = ContactKind.CLOSE, setting: str = Setting.OTHER, last_exposure_on: dt.date | None = None,
    resident: Resident | None = None, name: str = "", id_number: str = "", phone: str = "", via_contact: Contact | None = None,
    note: str = "", order_kind: str = "", uid: uuid.UUID | None = None, via: Via,
) -> tuple[Contact, bool]:
    """Record a contact of a case. A resident of the actor's area becomes a key person and gets
    a quarantine order at once (if the actor may order quarantine; otherwise the file waits for
    the street to order it). The same person on the same case, or the same client `uid`, returns
    the contact already recorded (created=False) without writing."""
    require(actor, Capability.TRACE_CASES)
    require_in_jurisdiction(actor, case.org_path)
    case = _lock(case)  # contacts of one case are added one at a time: no duplicate on a retry
    if uid is not None and (existing := Contact.objects.filter(uid=uid).first()) is not None:
        if existing.case_id != case.pk:
            raise DomainError(_("This id belongs to another contact."), field="uid", code="uid_taken")
        return existing, False
    if not case.is_open:
        raise DomainError(_("This case is excluded; its contacts are no longer traced."), code="closed")
    if kind not in ContactKind.values:
        raise DomainError(_("Choose close or secondary contact."), field="kind")
    if setting not in Setting.values:
        raise DomainError(_("Choose where the contact happened."), field="setting")
    if order_kind and order_kind not in (OrderKind.HOME_QUARANTINE, OrderKind.HOME_OBSERVATION):
        raise DomainError(_("Central quarantine is ordered from the key person's page (it needs a room)."), field="order_kind")
    _not_in_future(last_exposure_on, "last_exposure_on")
    if via_contact is not None and via_contact.case_id != case.pk:
        raise DomainError(_("The contact it came through is not a contact of this case."), field="via_contact")
    person = _person(actor=actor, district=case.district, resident=resident, name=name, id_number=id_number, phone=phone)
    same = (Contact.objects.filter(case=case, resident=person["resident"]) if person["resident"] is not None
            else Contact.objects.filter(case=case, id_number=person["id_number"]) if person["id_number"] else None)
    if same is not None and (existing := same.first()) is not None:
        return existing, False
    if person["resident"] is not None and person["resident"].pk == case.resident_id:
        raise DomainError(_("A case is not their own contact."), field="id_number")
    contact = Contact.objects.create(
        uid=uid or uuid.uuid4(), district_id=case.district_id, case=case, org_path=case.org_path, kind=kind, setting=setting,
        via_contact=via_contact, last_exposure_on=last_exposure_on, note=(note or "").strip(), created_by=actor, **person)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="case_contact", object_ref=contact.uid,
                 object_label=contact.name, org_path=contact.org_path,
                 detail={"case": str(case.uid), "kind": kind, "setting": setting})
    if contact.resident_id is not None:
        _contact_quarantine(actor=actor, contact=contact, order_kind=order_kind or CONTACT_ORDER_KIND[kind], via=via)
    return contact, True


def _contact_quarantine(*, actor, contact: Contact, order_kind: str, via: Via) -> None:
    category = CONTACT_CATEGORY[contact.kind]
    reason = _("%(kind)s of case %(case)s") % {"kind": contact.get_kind_display(), "case": contact.case.name}
    person, _created = quarantine.key_person_register(
        actor=actor, resident=contact.resident, category=category, source=Source.TRACING, source_ref=f"contact {contact.uid}",
        reason=reason, flagged_at=clock.now(), via=via)
    contact.key_person = person
    order = None
    if has_capability(actor, Capability.MANAGE_QUARANTINE) and person.status == KeyPerson.Status.ACTIVE:
        order = person.orders.filter(status=QuarantineOrder.Status.ACTIVE).first()
        if order is None:
            start = _order_start_date(district_id=person.district_id, category=person.category,
                                      last_exposure_on=contact.last_exposure_on)
            order = quarantine.quarantine_order_start(actor=actor, key_person=person, kind=order_kind, start_date=start,
                                                      reason=reason, via=via)
    if order is not None:
        contact.order = order
        contact.status = Contact.Status.QUARANTINED
    contact.save(update_fields=["key_person", "order", "status"])


def _transition(contact: Contact, status: str) -> None:
    if status not in Contact.TRANSITIONS.get(contact.status, ()):
        raise DomainError(_("This contact is %(status)s and cannot change like this.") % {
            "status": contact.get_status_display().lower()}, code="bad_transition")


@transaction.atomic
def contact_hand_over(*, actor, contact: Contact, to: str, note: str = "", via: Via) -> Contact:
    """Hand a contact outside our area over (协查) to the district or street where they are."""
    require(actor, Capability.TRACE_CASES)
    require_in_jurisdiction(actor, contact.org_path)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _transition(contact, Contact.Status.HANDED_OVER)
    to = (to or "").strip()
    if not to:
        raise DomainError(_("Say to whom the contact is handed over (district, street, CDC)."), field="to")
    contact.status, contact.handed_over_to, contact.handed_over_at = Contact.Status.HANDED_OVER, to[:100], clock.now()
    if note.strip():
        contact.note = f"{contact.note}\n{note.strip()}".strip()
    contact.save(update_fields=["status", "handed_over_to", "handed_over_at", "note"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="case_contact", object_ref=contact.uid,
                 object_label=contact.name, org_path=contact.org_path, detail={"handed_over_to": contact.handed_over_to})
    return contact


@transaction.atomic
def contact_to_case(
    *, actor, contact: Contact, classification: str = Classification.SUSPECTED, onset_date: dt.date | None = None,
    confirmed_on: dt.date | None = None, hospital: str = "", note: str = "", via: Via,
) -> Case:
    """A contact fell ill or tested positive: they become a case infected by the contact's case,
    in the same cluster, and their key-person file is recategorised."""
    require(actor, Capability.TRACE_CASES)
    require_in_jurisdiction(actor, contact.org_path)
    contact = Contact.objects.select_for_update(of=("self",)).select_related("case", "resident", "resident__household__org").get(
        pk=contact.pk)
    _transition(contact, Contact.Status.BECAME_CASE)
    source = contact.case
    case = case_register(
        actor=actor, org=source.org, resident=contact.resident, name=contact.name, id_number=contact.id_number or "",
        phone=contact.phone, classification=classification, onset_date=onset_date, confirmed_on=confirmed_on, hospital=hospital,
        cluster=source.cluster, infected_by=source, note=note, via=via)
    contact.status, contact.became_case = Contact.Status.BECAME_CASE, case
    contact.save(update_fields=["status", "became_case"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="case_contact", object_ref=contact.uid,
                 object_label=contact.name, org_path=contact.org_path, detail={"became_case": str(case.uid)})
    return case


# --- end of the emergency -------------------------------------------------------------------

@transaction.atomic
def tracing_deidentify(*, district: OrgUnit, via: Via, actor=None) -> int:
    """With registry_deidentify (PIPL 2021): keep the chains and counts, drop who the people
    were and where they went."""
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Cast, Concat

    count = Case.objects.filter(district=district).update(
        name=Concat(Value("病例"), Cast(F("pk"), output_field=CharField())), id_number=None, phone="", note="", hospital="")
    Contact.objects.filter(district=district).update(
        name=Concat(Value("接触者"), Cast(F("pk"), output_field=CharField())), id_number=None, phone="", note="")
    TrajectoryEntry.objects.filter(case__district=district).update(place="—", note="")
    AuditEntry.objects.filter(subtree_q("org_path", district.path), object_type__in=["case", "case_contact"]).update(
        object_label="", detail={})
    audit_record(actor=actor, action=AuditAction.DELETE, via=via, object_type="case", object_label=district.name,
                 org_path=district.path, detail={"deidentified_cases": count})
    return count
