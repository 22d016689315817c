"""Figures a unit of the tree has (households, residents, later key persons, passages...).

Apps register a source once (in AppConfig.ready); pages, the daily report and the
command view ask for figures by name without knowing which app computes them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Model, QuerySet

from .scoping import subtree_q


@dataclass(frozen=True)
class FigureSource:
    name: str
    label: str
    # (paths of sibling nodes, their common parent path) -> {path: value}
    compute: Callable[[list[str], str], dict[str, int]]


SOURCES: dict[str, FigureSource] = {}


def register_figure(*, name: str, label, compute: Callable[[list[str], str], dict[str, int]]) -> None:
    SOURCES[name] = FigureSource(name, label, compute)


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


def figures_for(*, paths: list[str], parent_path: str, names: list[str] | None = None) -> dict[str, dict[str, int]]:
    """{figure name: {path: value}}."""
    chosen = [SOURCES[n] for n in (names or SOURCES)]
    return {s.name: s.compute(paths, parent_path) for s in chosen}
