"""Reads of key persons, scoped to the actor."""

from django.db.models import QuerySet

from lianfang.core.models import OrgUnit
from lianfang.core.scoping import scoped, subtree_q

from .models import KeyPerson


def key_person_list(*, actor, org: OrgUnit | None = None, category: str = "", source: str = "", status: str = "") -> QuerySet[KeyPerson]:
    qs = scoped(KeyPerson.objects.select_related("resident", "resident__household", "resident__household__grid", "created_by"), actor)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    for field, value in (("category", category), ("source", source), ("status", status)):
        if value:
            qs = qs.filter(**{field: value})
    return qs
