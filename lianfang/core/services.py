"""Writes of the core app: the tree, responsible people, and the audited reveal of PII."""

from django.db import transaction
from django.utils.translation import gettext as _

from . import phones
from .audit import Via, audit_record, changed_fields
from .errors import DomainError, PermissionDenied
from .models import LEVEL_ORDER, AuditAction, Duty, OrgUnit, ResponsiblePerson
from .pii import MASKERS
from .roles import Capability, has_capability
from .scoping import in_jurisdiction


def require(actor, capability: str) -> None:
    if not has_capability(actor, capability):
        raise PermissionDenied()


def require_in_jurisdiction(actor, path: str, message=None, *, field: str | None = None) -> None:
    """Writes to a record outside the actor's subtree are refused (reads are scoped instead)."""
    if not in_jurisdiction(actor, path):
        raise PermissionDenied(message, field=field) if message else PermissionDenied(field=field)


def pii_reveal(*, actor, record, field: str, object_type: str, via: Via) -> str:
    """The full value of one personal identifier, for a role allowed to see it; audited.
    The caller has already fetched `record` through `access`, so it is in scope."""
    require(actor, Capability.REVEAL_PII)
    if field not in MASKERS:
        raise DomainError(_("Only ID numbers, phones and birth dates are masked."), field="field")
    audit_record(
        actor=actor,
        action=AuditAction.REVEAL,
        via=via,
        object_type=object_type,
        object_ref=record.uid,
        object_label=str(record),
        org_path=record.org_path,
        detail={"field": field},
    )
    value = getattr(record, field)
    return str(value) if value else ""


def phone_clean(raw: str | None, *, field: str = "phone") -> str:
    """An optional phone field of a form or API call: "" or the number as stored."""
    if not (raw or "").strip():
        return ""
    try:
        return phones.parse(raw)
    except phones.PhoneError as e:
        raise DomainError(str(e), field=field)


@transaction.atomic
def org_unit_create(*, actor, parent: OrgUnit, name: str, level: str, code: str = "", boundary: dict | None = None) -> OrgUnit:
    require(actor, Capability.EDIT_ORG)
    if not in_jurisdiction(actor, parent.path):
        raise PermissionDenied()
    name = name.strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if level not in LEVEL_ORDER or LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(parent.level):
        raise DomainError(_("A child must be at a lower level than its parent."), field="level")
    if OrgUnit.objects.filter(parent=parent, name=name).exists():
        raise DomainError(_("%(parent)s already has a unit named %(name)s.") % {"parent": parent.name, "name": name}, field="name")
    code = code.strip() or f"{parent.code}-{OrgUnit.objects.filter(parent=parent).count() + 1:03d}"
    if OrgUnit.objects.filter(code=code).exists():
        raise DomainError(_("The code %(code)s is taken.") % {"code": code}, field="code")
    return OrgUnit.objects.create(parent=parent, name=name, level=level, code=code, boundary=boundary)


@transaction.atomic
def org_unit_update(*, actor, org_unit: OrgUnit, name: str | None = None, boundary: dict | None = None) -> OrgUnit:
    require(actor, Capability.EDIT_ORG)
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError(_("A name is required."), field="name")
        if OrgUnit.objects.filter(parent=org_unit.parent, name=name).exclude(pk=org_unit.pk).exists():
            raise DomainError(_("A sibling unit already has this name."), field="name")
        org_unit.name = name
    if boundary is not None:
        org_unit.boundary = boundary
    org_unit.save()
    return org_unit


def _responsible_fields(name: str, duty: str, phone: str, title: str) -> dict:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if duty not in Duty.values:
        raise DomainError(_("Unknown duty."), field="duty")
    return {"name": name, "duty": duty, "phone": phone_clean(phone), "title": (title or "").strip()}


@transaction.atomic
def responsible_person_add(*, actor, org_unit: OrgUnit, name: str, duty: str, phone: str = "", title: str = "", via: Via) -> ResponsiblePerson:
    require(actor, Capability.EDIT_ORG)
    person = ResponsiblePerson.objects.create(org_unit=org_unit, org_path=org_unit.path, **_responsible_fields(name, duty, phone, title))
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="responsible_person",
                 object_ref=person.uid, object_label=str(person), org_path=person.org_path)
    return person


@transaction.atomic
def responsible_person_update(*, actor, person: ResponsiblePerson, name: str, duty: str, phone: str = "", title: str = "", via: Via) -> ResponsiblePerson:
    require(actor, Capability.EDIT_ORG)
    fields = _responsible_fields(name, duty, phone, title)
    before = {k: getattr(person, k) for k in fields}
    for key, value in fields.items():
        setattr(person, key, value)
    person.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="responsible_person",
                 object_ref=person.uid, object_label=str(person), org_path=person.org_path, detail=changed_fields(before, fields))
    return person


@transaction.atomic
def responsible_person_remove(*, actor, person: ResponsiblePerson, via: Via) -> None:
    require(actor, Capability.EDIT_ORG)
    audit_record(actor=actor, action=AuditAction.DELETE, via=via, object_type="responsible_person",
                 object_ref=person.uid, object_label=str(person), org_path=person.org_path)
    person.delete()
