"""Reads of the core app; each takes the actor and returns only what is in scope."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import PATH_SEGMENT, AuditEntry, OrgUnit, ResponsiblePerson
from .roles import Capability, has_capability
from .scoping import access, scoped


def org_unit_list(*, actor, level: str = "", q: str = "", parent: OrgUnit | None = None) -> QuerySet[OrgUnit]:
    qs = scoped(OrgUnit.objects.all(), actor)
    if parent is not None:
        qs = qs.filter(parent=parent)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q))
    return qs.order_by("path")


def access_org_unit(*, actor, code: str) -> OrgUnit:
    return access(OrgUnit.objects.select_related("parent"), actor, code=code)


def org_filter(*, actor, code: str) -> OrgUnit | None:
    """The unit a list is narrowed to (`?org=CODE`): inside the actor's tree or 404; none when empty."""
    code = (code or "").strip()
    return access_org_unit(actor=actor, code=code) if code else None


def district_of(*, actor) -> OrgUnit:
    """The district the actor works in (the root of their path), for district-wide settings."""
    if getattr(actor, "jurisdiction", None) is None:
        raise Http404
    return OrgUnit.objects.get(pk=int(actor.jurisdiction.path[:PATH_SEGMENT]))


def org_unit_breadcrumbs(*, actor, org_unit: OrgUnit) -> list[OrgUnit]:
    """Ancestors the actor may see (their jurisdiction and below), root first."""
    ids = org_unit.ancestor_ids
    nodes = {u.pk: u for u in scoped(OrgUnit.objects.filter(pk__in=ids), actor)}
    return [nodes[i] for i in ids if i in nodes]


def org_unit_children(*, actor, org_unit: OrgUnit) -> QuerySet[OrgUnit]:
    # Then creation order: names sort "11号楼" before "1号楼".
    return scoped(OrgUnit.objects.filter(parent=org_unit), actor).order_by("sort_order", "path")


def responsible_person_list(*, actor, org_unit: OrgUnit | None = None, duty: str = "", q: str = "") -> QuerySet[ResponsiblePerson]:
    qs = scoped(ResponsiblePerson.objects.select_related("org_unit"), actor)
    if org_unit is not None:
        qs = qs.filter(org_unit=org_unit)
    if duty:
        qs = qs.filter(duty=duty)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(org_unit__name__icontains=q))
    return qs


def access_responsible_person(*, actor, uid) -> ResponsiblePerson:
    return access(ResponsiblePerson.objects.select_related("org_unit"), actor, uid=uid)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def audit_list(
    *, actor, action: str = "", user: str = "", object_ref: str = "", q: str = "",
    since: dt.date | None = None, until: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    if not has_capability(actor, Capability.VIEW_AUDIT):
        return AuditEntry.objects.none()
    qs = scoped(AuditEntry.objects.all(), actor)
    if action:
        qs = qs.filter(action=action)
    if user:
        qs = qs.filter(Q(actor_name__icontains=user) | Q(actor__username__icontains=user))
    if object_ref:
        qs = qs.filter(object_ref=object_ref)
    if q:
        qs = qs.filter(Q(object_label__icontains=q) | Q(request_path__icontains=q))
    # Ranges of local midnights, so the index on `at` serves them.
    if since:
        qs = qs.filter(at__gte=_local_midnight(since))
    if until:
        qs = qs.filter(at__lt=_local_midnight(until + dt.timedelta(days=1)))
    return qs
