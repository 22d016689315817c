"""Figures a unit of the tree has (households, residents, key persons, passages...).

Apps register a source once (in AppConfig.ready); pages, the daily report and the
command view ask for figures by name, for a unit and a day, without knowing which app
computes them. A figure is either a state ("people under watch": as of now, the day is
ignored) or a count of what happened on the local day (`per_day`: "passages")."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Model, QuerySet
from django.utils.translation import gettext as _

from . import clock
from .scoping import subtree_q

# (paths of sibling nodes, their common parent path, the day) -> {path: value}
Compute = Callable[[list[str], str, dt.date], dict[str, int]]


@dataclass(frozen=True)
class FigureSource:
    name: str
    label: str
    compute: Compute
    per_day: bool = False

    def title(self) -> str:
        """The label as a page shows it for today."""
        return _("%(figure)s today") % {"figure": self.label} if self.per_day else str(self.label)


SOURCES: dict[str, FigureSource] = {}


def register_figure(*, name: str, label, compute: Compute, per_day: bool = False) -> None:
    SOURCES[name] = FigureSource(name, label, compute, per_day)


def on_day(queryset: QuerySet, field: str, day: dt.date) -> QuerySet:
    """The rows whose `field` (a time) falls on the local `day`."""
    start, end = clock.day_bounds(day)
    return queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})


def count_in_subtrees(rows: type[Model] | QuerySet, paths: list[str], parent_path: str) -> dict[str, int]:
    """Row counts (of a model or a filtered queryset) under each path in one query: one index
    range for the parent, one conditional count per path."""
    if not paths:
        return {}
    queryset = rows if isinstance(rows, QuerySet) else rows.objects.all()
    field = queryset.model.scope_path_field
    aggregates = {f"n{i}": Count("pk", filter=subtree_q(field, p)) for i, p in enumerate(paths)}
    row = queryset.filter(subtree_q(field, parent_path)).aggregate(**aggregates)
    return {p: row[f"n{i}"] for i, p in enumerate(paths)}


def figures_for(*, paths: list[str], parent_path: str, names: list[str] | None = None,
                day: dt.date | None = None) -> dict[str, dict[str, int]]:
    """{figure name: {path: value}}; per-day figures count `day` (default today)."""
    day = day or clock.today()
    chosen = [SOURCES[n] for n in (names or SOURCES)]
    return {s.name: s.compute(paths, parent_path, day) for s in chosen}
