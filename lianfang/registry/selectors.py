"""Reads of the registry, scoped to the actor."""

import re

from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from lianfang.core import idnumbers, phones
from lianfang.core.models import OrgUnit
from lianfang.core.scoping import access, scoped, subtree_q

from .models import Household, RelationToHead, Resident


_MASKED_ID = re.compile(r"^(\d{6})\*+(\d{3}[\dX])$")
_MASKED_PHONE = re.compile(r"^(\d{3})\*+(\d{4})$")


def _search_q(q: str) -> Q:
    """Name, address, full ID number, last 4 of the ID number or phone, full phone, or a
    masked value copied from a page or an export (110105********1234, 138****5678)."""
    q = q.strip()
    norm = idnumbers.normalize(q)
    if len(norm) == 4 and norm[:3].isdigit() and (norm[3].isdigit() or norm[3] == "X"):
        return Q(id_tail=norm) | Q(phone__endswith=norm) if norm.isdigit() else Q(id_tail=norm)
    if masked := _MASKED_ID.match(norm):
        return Q(id_tail=masked[2], id_number__startswith=masked[1])
    if masked := _MASKED_PHONE.match(norm):
        return Q(phone__startswith=masked[1], phone__endswith=masked[2])
    if idnumbers.is_valid(norm):
        return Q(id_number=idnumbers.parse(norm).number)
    if phones.is_valid(q):
        return Q(phone=phones.parse(q))
    # "OR household in (matching households)" lets each side use its own plan; a join-OR scans.
    return Q(name__icontains=q) | Q(household__in=Household.objects.filter(address__icontains=q).values("pk"))


def household_list(*, actor, q: str = "", org: OrgUnit | None = None) -> QuerySet[Household]:
    qs = scoped(Household.objects.select_related("grid", "org"), actor)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if q:
        q = q.strip()
        residents = scoped(Resident.objects.all(), actor).filter(_search_q(q))
        qs = qs.filter(Q(address__icontains=q) | Q(pk__in=residents.values("household_id")))
    # A correlated count is computed for the page's rows only, not grouped over the subtree.
    residents_here = Resident.objects.filter(household=OuterRef("pk")).order_by().values("household").annotate(n=Count("pk")).values("n")
    head = Resident.objects.filter(household=OuterRef("pk")).order_by(
        Case(When(relation_to_head=RelationToHead.HEAD, then=0), default=1), "pk").values("name")[:1]
    return qs.annotate(resident_count=Coalesce(Subquery(residents_here), 0), head_name=Subquery(head))


def access_household(*, actor, uid) -> Household:
    return access(Household.objects.select_related("grid", "org", "district"), actor, uid=uid)


def resident_list(
    *, actor, q: str = "", org: OrgUnit | None = None, residence_type: str = "", sex: str = "", household: Household | None = None,
) -> QuerySet[Resident]:
    qs = scoped(Resident.objects.select_related("household", "household__grid"), actor)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if household is not None:
        qs = qs.filter(household=household)
    if residence_type:
        qs = qs.filter(residence_type=residence_type)
    if sex:
        qs = qs.filter(sex=sex)
    if q:
        qs = qs.filter(_search_q(q))
    return qs


def access_resident(*, actor, uid) -> Resident:
    return access(Resident.objects.select_related("household", "household__grid", "household__org"), actor, uid=uid)
