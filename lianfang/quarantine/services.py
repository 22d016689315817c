"""Writes of key persons. `key_person_register` is the entry point other apps (screening,
checkpoints) use to hand a person over."""

from django.db import IntegrityError, transaction

from lianfang.core.audit import Via, audit_record
from lianfang.core.models import AuditAction
from lianfang.registry.models import Resident

from .models import KeyPerson


@transaction.atomic
def key_person_register(
    *, actor, resident: Resident, category: str, source: str, source_ref: str = "", reason: str = "", via: Via,
) -> tuple[KeyPerson, bool]:
    """Put a resident under watch. Someone already under watch keeps the record they have
    (created=False): one active key-person file per person."""
    existing = KeyPerson.objects.filter(resident=resident, status=KeyPerson.Status.ACTIVE).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            person = KeyPerson.objects.create(
                district_id=resident.district_id, resident=resident, org_path=resident.org_path, category=category,
                source=source, source_ref=source_ref[:200], reason=reason, created_by=actor,
            )
    except IntegrityError:  # registered a moment ago by someone else
        return KeyPerson.objects.get(resident=resident, status=KeyPerson.Status.ACTIVE), False
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="key_person", object_ref=person.uid,
                 object_label=resident.name, org_path=person.org_path,
                 detail={"category": category, "source": source, "source_ref": person.source_ref})
    return person, True
