"""Writes of the registry: every change of a household or resident is audited."""

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lianfang.core.audit import Via, audit_record, changed_fields
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import LEVEL_ORDER, AuditAction, AuditEntry, Level, OrgUnit
from lianfang.core.roles import Capability
from lianfang.core.scoping import in_jurisdiction, subtree_q
from lianfang.core.services import phone_clean, require

from .models import Household, Resident
from .validation import check_resident

RESIDENT_FIELDS = ("name", "id_number", "sex", "birth_date", "phone", "relation_to_head", "residence_type", "notes")


def household_place(org: OrgUnit) -> tuple[OrgUnit, OrgUnit]:
    """(district, grid) of a node at grid level or below."""
    if LEVEL_ORDER.index(org.level) < LEVEL_ORDER.index(Level.GRID):
        raise DomainError(_("A household belongs to a grid, compound, building or unit."), field="org")
    ids = org.ancestor_ids + [org.pk]
    nodes = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
    grid = next(nodes[i] for i in ids if nodes[i].level == Level.GRID)
    return nodes[ids[0]], grid


@transaction.atomic
def household_remove(*, actor, household: Household, via: Via) -> None:
    """Remove a household registered by mistake; only an empty one (residents are removed,
    with a reason, one by one)."""
    require(actor, Capability.EDIT_REGISTRY)
    if household.residents.exists():
        raise DomainError(_("Remove or move its residents first."), code="not_empty")
    audit_record(actor=actor, action=AuditAction.DELETE, via=via, object_type="household", object_ref=household.uid,
                 object_label=household.address, org_path=household.org_path)
    household.delete()


def _check_org(actor, org: OrgUnit) -> None:
    if not in_jurisdiction(actor, org.path):
        raise PermissionDenied(_("That place is outside your jurisdiction."), field="org")


def _household_fields(address: str, room: str, phone: str, notes: str) -> dict:
    address = " ".join((address or "").split())
    if not address:
        raise DomainError(_("The address is required."), field="address")
    return {"address": address[:200], "room": (room or "").strip()[:30], "phone": phone_clean(phone), "notes": (notes or "").strip()}


@transaction.atomic
def household_create(
    *, actor, org: OrgUnit, address: str, room: str = "", phone: str = "", notes: str = "", allow_same_room: bool = False, via: Via,
) -> Household:
    """Register a household. One already at the same place and room (or address) is refused
    unless the caller says it is really another household (several families in one flat)."""
    require(actor, Capability.EDIT_REGISTRY)
    _check_org(actor, org)
    district, grid = household_place(org)
    fields = _household_fields(address, room, phone, notes)
    same_place = Q(address=fields["address"]) | (Q(room=fields["room"]) if fields["room"] else Q(pk__in=[]))
    twin = Household.objects.filter(same_place, org=org).first()
    if twin is not None and not allow_same_room:
        raise DomainError(
            _("A household is already registered here: %(address)s. Open it from the household list, or confirm that this is another household at the same address.")
            % {"address": twin.address}, field="room", code="same_room",
        )
    household = Household.objects.create(district=district, grid=grid, org=org, org_path=org.path, **fields)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="household",
                 object_ref=household.uid, object_label=household.address, org_path=household.org_path)
    return household


@transaction.atomic
def household_update(
    *, actor, household: Household, address: str, room: str = "", phone: str = "", notes: str = "",
    org: OrgUnit | None = None, via: Via,
) -> Household:
    require(actor, Capability.EDIT_REGISTRY)
    fields = _household_fields(address, room, phone, notes)
    before = {k: getattr(household, k) for k in fields}
    if org is not None and org.pk != household.org_id:
        _check_org(actor, org)
        district, grid = household_place(org)
        before["org"] = household.org.name
        fields_org = {"org": org, "grid": grid, "district": district, "org_path": org.path}
        for key, value in fields_org.items():
            setattr(household, key, value)
        # Residents follow their household in scoping.
        household.residents.update(org_path=org.path, district=district)
    for key, value in fields.items():
        setattr(household, key, value)
    household.save()
    after = dict(fields, **({"org": org.name} if "org" in before else {}))
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="household", object_ref=household.uid,
                 object_label=household.address, org_path=household.org_path, detail=changed_fields(before, after))
    return household


def _checked_or_raise(**raw) -> dict:
    checked = check_resident(**raw)
    if checked.errors:
        field, reason = checked.errors[0]
        raise DomainError(reason, field=field)
    return checked.values


def resident_find_by_id_number(*, district: OrgUnit, id_number: str) -> Resident | None:
    return Resident.objects.filter(district=district, id_number=id_number).select_related("household").first()


@transaction.atomic
def resident_register(
    *, actor, household: Household, name: str, id_number: str = "", phone: str = "", relation_to_head: str = "",
    residence_type: str = "", sex: str = "", birth_date=None, notes: str = "", via: Via,
) -> tuple[Resident, bool]:
    """Register a person in a household. One ID number is one person in the district: if the
    number is known, the existing person is returned (created=False) and nothing is written."""
    require(actor, Capability.EDIT_REGISTRY)
    values = _checked_or_raise(name=name, id_number=id_number, phone=phone, relation_to_head=relation_to_head,
                               residence_type=residence_type, sex=sex, birth_date=birth_date, notes=notes)
    if values["id_number"]:
        existing = resident_find_by_id_number(district=household.district, id_number=values["id_number"])
        if existing is not None:
            return _existing_in_scope(actor, existing), False
    try:
        with transaction.atomic():
            resident = Resident.objects.create(
                district=household.district, household=household, org_path=household.org_path,
                id_tail=(values["id_number"] or "")[-4:], created_by=actor, **values,
            )
    except IntegrityError:  # registered a moment ago by someone else
        existing = resident_find_by_id_number(district=household.district, id_number=values["id_number"])
        return _existing_in_scope(actor, existing), False
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="resident", object_ref=resident.uid,
                 object_label=resident.name, org_path=resident.org_path)
    return resident, True


def _existing_in_scope(actor, existing: Resident) -> Resident:
    if not in_jurisdiction(actor, existing.org_path):
        # The person exists but lives outside the actor's jurisdiction: say so, show nothing else.
        raise DomainError(
            _("This ID number is already registered in another part of the district; ask the district office to move the person."),
            field="id_number", code="registered_elsewhere",
        )
    return existing


@transaction.atomic
def resident_update(
    *, actor, resident: Resident, name: str, id_number: str = "", phone: str = "", relation_to_head: str = "",
    residence_type: str = "", sex: str = "", birth_date=None, notes: str = "", household: Household | None = None, via: Via,
) -> Resident:
    require(actor, Capability.EDIT_REGISTRY)
    values = _checked_or_raise(name=name, id_number=id_number, phone=phone, relation_to_head=relation_to_head,
                               residence_type=residence_type, sex=sex, birth_date=birth_date, notes=notes)
    if values["id_number"] and values["id_number"] != resident.id_number:
        if Resident.objects.filter(district=resident.district, id_number=values["id_number"]).exclude(pk=resident.pk).exists():
            raise DomainError(_("Another resident already has this ID number."), field="id_number", code="duplicate")
    before = {k: getattr(resident, k) for k in RESIDENT_FIELDS}
    for key, value in values.items():
        setattr(resident, key, value)
    resident.id_tail = (values["id_number"] or "")[-4:]
    if household is not None and household.pk != resident.household_id:
        before["household"] = str(resident.household)
        values["household"] = str(household)
        resident.household, resident.org_path, resident.district = household, household.org_path, household.district
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:  # the same number saved a moment ago for someone else
        raise DomainError(_("Another resident already has this ID number."), field="id_number", code="duplicate")
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="resident", object_ref=resident.uid,
                 object_label=resident.name, org_path=resident.org_path, detail=changed_fields(before, values))
    return resident


@transaction.atomic
def resident_remove(*, actor, resident: Resident, reason: str, via: Via) -> None:
    """Remove a person who moved out or died; the audit row keeps who, when and why."""
    require(actor, Capability.EDIT_REGISTRY)
    if not (reason or "").strip():
        raise DomainError(_("Give a reason (moved out, deceased, registered twice...)."), field="reason")
    audit_record(actor=actor, action=AuditAction.DELETE, via=via, object_type="resident", object_ref=resident.uid,
                 object_label=resident.name, org_path=resident.org_path, detail={"reason": reason.strip()})
    resident.delete()


@transaction.atomic
def registry_deidentify(*, district: OrgUnit, via: Via, actor=None) -> int:
    """When the emergency ends (PIPL 2021): keep the counts, drop who the people were.
    Names become a neutral label, identifiers and notes go, birth dates keep only the year."""
    from django.db.models import F, Value
    from django.db.models.functions import Cast, Concat, TruncYear

    residents = Resident.objects.filter(district=district)
    count = residents.update(
        name=Concat(Value("居民"), Cast(F("pk"), output_field=models.CharField())),
        id_number=None, id_tail="", phone="", notes="", birth_date=TruncYear("birth_date"),
    )
    Household.objects.filter(district=district).update(phone="", notes="", pass_card_no="")
    from .importing import import_data_delete

    import_data_delete(district=district)  # problem lists quote cells; unfinished uploads keep files
    # The audit trail keeps who looked at which record, but no longer the person's name.
    AuditEntry.objects.filter(subtree_q("org_path", district.path), object_type__in=["resident", "household"]).update(
        object_label="", detail={})
    audit_record(actor=actor, action=AuditAction.DELETE, via=via, object_type="registry", object_label=district.name,
                 org_path=district.path, detail={"deidentified_residents": count})
    return count
