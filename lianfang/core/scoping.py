"""Jurisdiction scoping: the one mechanism that limits every read and write to the
actor's subtree. Every scoped model names its path column in `scope_path_field`."""

from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from .models import PATH_SEGMENT

M = TypeVar("M", bound=Model)


def subtree_q(field: str, path: str) -> Q:
    """Rows whose materialised path lies under `path` (itself included): the paths that start
    with `path` are exactly those from `path` up to, not including, the next number of the
    same width. A plain range, so the ordinary index serves it on both databases."""
    upper = str(int(path) + 1).zfill(len(path))
    if len(upper) > len(path):  # all nines: nothing sorts after this subtree
        return Q(**{f"{field}__gte": path})
    return Q(**{f"{field}__gte": path, f"{field}__lt": upper})


def scoped(queryset: QuerySet[M], actor) -> QuerySet[M]:
    """Limit `queryset` to the actor's jurisdiction; no jurisdiction, no rows."""
    jurisdiction = getattr(actor, "jurisdiction", None)
    if jurisdiction is None:
        return queryset.none()
    return queryset.filter(subtree_q(queryset.model.scope_path_field, jurisdiction.path))


def scoped_or(queryset: QuerySet[M], actor, also: Q) -> QuerySet[M]:
    """The jurisdiction plus records the actor is tied to otherwise (`also`), e.g. a doctor named
    for a person who lives outside the doctor's area."""
    jurisdiction = getattr(actor, "jurisdiction", None)
    if jurisdiction is None:
        return queryset.none()
    return queryset.filter(subtree_q(queryset.model.scope_path_field, jurisdiction.path) | also)


def within(queryset: QuerySet[M], org) -> QuerySet[M]:
    """Narrow an already scoped list to one unit's subtree (a list's `?org=` filter); None: as is."""
    return queryset.filter(subtree_q(queryset.model.scope_path_field, org.path)) if org is not None else queryset


def _one_or_404(queryset: QuerySet[M], **lookup) -> M:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404
    except queryset.model.MultipleObjectsReturned:  # pragma: no cover - lookups are by unique keys
        raise Http404


def access(queryset: QuerySet[M], actor, **lookup) -> M:
    """One record inside the jurisdiction. Outside it the record does not exist for the
    actor: 404, never 403, so existence does not leak."""
    return _one_or_404(scoped(queryset, actor), **lookup)


def in_jurisdiction(actor, path: str) -> bool:
    jurisdiction = getattr(actor, "jurisdiction", None)
    return jurisdiction is not None and path.startswith(jurisdiction.path)


def overlapping(queryset: QuerySet[M], actor) -> QuerySet[M]:
    """Limit `queryset` to records whose scope covers the actor's jurisdiction or lies inside it:
    a district-wide round is the grid worker's round too; a street's round is not the other
    street's."""
    jurisdiction = getattr(actor, "jurisdiction", None)
    if jurisdiction is None:
        return queryset.none()
    field = queryset.model.scope_path_field
    path = jurisdiction.path
    ancestors = [path[:i] for i in range(PATH_SEGMENT, len(path), PATH_SEGMENT)]
    return queryset.filter(subtree_q(field, path) | Q(**{f"{field}__in": ancestors}))


def access_overlapping(queryset: QuerySet[M], actor, **lookup) -> M:
    return _one_or_404(overlapping(queryset, actor), **lookup)


def narrowest(path_a: str, path_b: str) -> str | None:
    """The deeper of two paths when one lies inside the other; None when they are apart."""
    if path_a.startswith(path_b):
        return path_a
    if path_b.startswith(path_a):
        return path_b
    return None
