"""Reads of screening, scoped to the actor and to the round's scope."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Length, Substr, TruncDate
from django.http import Http404
from django.utils import timezone

from lianfang.core.models import Level, OrgUnit
from lianfang.core.roles import Capability, has_capability
from lianfang.core.scoping import access, access_overlapping, in_jurisdiction, narrowest, overlapping, scoped, subtree_q
from lianfang.registry.models import Household, RelationToHead, Resident

from .models import REVISIT_RESULTS, CandidateStatus, PersonCheck, Result, ScreeningRound, ScreeningVisit


def round_list(*, actor, status: str = "") -> QuerySet[ScreeningRound]:
    qs = overlapping(ScreeningRound.objects.select_related("scope"), actor)
    return qs.filter(status=status) if status else qs


def access_round(*, actor, uid) -> ScreeningRound:
    return access_overlapping(ScreeningRound.objects.select_related("scope"), actor, uid=uid)


def round_manageable(*, actor, screening_round: ScreeningRound) -> bool:
    """Only someone whose jurisdiction holds the whole scope changes or closes a round."""
    return has_capability(actor, Capability.MANAGE_SCREENING) and in_jurisdiction(actor, screening_round.scope_path)


def round_base(*, actor, screening_round: ScreeningRound, org: OrgUnit | None = None) -> OrgUnit:
    """The node a page about the round starts from: the one asked for, else the narrower of the
    round's scope and the actor's jurisdiction. It is always inside both (404 otherwise)."""
    if org is None:
        path = narrowest(screening_round.scope_path, actor.jurisdiction.path)
        if path is None:
            raise Http404
        return screening_round.scope if path == screening_round.scope_path else actor.jurisdiction
    if not org.path.startswith(screening_round.scope_path):
        raise Http404
    return org


def _in_round(qs: QuerySet, actor, screening_round: ScreeningRound, base: OrgUnit) -> QuerySet:
    return scoped(qs, actor).filter(subtree_q(qs.model.scope_path_field, base.path))


def access_household(*, actor, screening_round: ScreeningRound, uid) -> Household:
    household = access(Household.objects.select_related("grid", "org", "district"), actor, uid=uid)
    if not household.org_path.startswith(screening_round.scope_path):
        raise Http404
    return household


def _latest_visits(screening_round: ScreeningRound) -> QuerySet[ScreeningVisit]:
    return ScreeningVisit.objects.filter(round=screening_round, is_latest=True)


def work_list(*, actor, screening_round: ScreeningRound, org: OrgUnit | None = None) -> QuerySet[Household]:
    """Households not yet done in the round: revisits due first (earliest due first), then the
    never-visited, each by building/unit and room (rooms numerically: 201 before 1101)."""
    base = round_base(actor=actor, screening_round=screening_round, org=org)
    latest = _latest_visits(screening_round).filter(household=OuterRef("pk"))
    done = latest.exclude(result__in=REVISIT_RESULTS)
    head = Resident.objects.filter(household=OuterRef("pk"), relation_to_head=RelationToHead.HEAD).order_by("pk").values("name")[:1]
    return (
        _in_round(Household.objects.select_related("org", "grid"), actor, screening_round, base)
        .filter(~Exists(done))
        .annotate(revisit_due=Subquery(latest.values("revisit_due")[:1]), last_visited_at=Subquery(latest.values("visited_at")[:1]),
                  head_name=Subquery(head))
        .order_by(F("revisit_due").asc(nulls_last=True), "org_path", Length("room"), "room", "pk")
    )


def unvisited_list(*, actor, screening_round: ScreeningRound, org: OrgUnit | None = None) -> QuerySet[Household]:
    """"不漏一户" as a list: every household of the node whose visit is still owed."""
    return work_list(actor=actor, screening_round=screening_round, org=org).select_related("grid")


@dataclass
class Coverage:
    node: OrgUnit | None
    label: str
    households: int = 0
    visited: int = 0
    revisits: int = 0
    refused: int = 0
    residents_checked: int = 0
    candidates: int = 0
    by_result: dict = field(default_factory=dict)

    @property
    def not_visited(self) -> int:
        return max(self.households - self.visited - self.revisits, 0)

    @property
    def percent(self) -> float:
        return round(100 * self.visited / self.households, 1) if self.households else 0.0

    def add(self, other: "Coverage") -> None:
        for name in ("households", "visited", "revisits", "refused", "residents_checked", "candidates"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.by_result.items():
            self.by_result[key] = self.by_result.get(key, 0) + value


def _grouped(qs: QuerySet, path_field: str, length: int, **aggregates) -> dict[str, dict]:
    """Counts of `qs` per prefix of `length` characters of the path. Grouped by the whole path,
    which the (round, org_path, ...) indexes hand over in order (an index-only scan, no SUBSTR
    and hash per row), then folded into the prefixes here: a few thousand places at most."""
    out: dict[str, dict] = {}
    for row in qs.values(path_field).order_by().annotate(**aggregates):
        bucket = out.setdefault(row.pop(path_field)[:length], dict.fromkeys(aggregates, 0))
        for key, value in row.items():
            bucket[key] += value
    return out


def coverage(*, actor, screening_round: ScreeningRound, org: OrgUnit | None = None) -> tuple[Coverage, list[Coverage]]:
    """(the node's totals, one row per child node), in four grouped queries whatever the size."""
    base = round_base(actor=actor, screening_round=screening_round, org=org)
    children = list(OrgUnit.objects.filter(parent=base).order_by("sort_order", "path"))
    length = len(base.path) + (len(children[0].path) - len(base.path) if children else 0)
    # Count org_path, not pk: the indexes hold it, so no table row is read (measured 3x faster
    # for a 1M-resident district, benchmarks/screening.py).
    households = _grouped(_in_round(Household.objects.all(), actor, screening_round, base), "org_path", length, n=Count("org_path"))
    visits = _grouped(_in_round(_latest_visits(screening_round), actor, screening_round, base), "org_path", length,
                      **{r: Count("org_path", filter=Q(result=r)) for r in Result.values})
    checks = _grouped(_in_round(PersonCheck.objects.filter(round=screening_round, current=True), actor, screening_round, base),
                      "org_path", length, n=Count("org_path"), candidates=Count("org_path", filter=Q(is_candidate=True)))

    def row(node: OrgUnit | None, bucket: str, label: str) -> Coverage:
        by_result = {r: visits.get(bucket, {}).get(r, 0) for r in Result.values}
        revisits = sum(by_result[r] for r in REVISIT_RESULTS)
        return Coverage(node=node, label=label, households=households.get(bucket, {}).get("n", 0),
                        visited=sum(by_result.values()) - revisits, revisits=revisits, refused=by_result[Result.REFUSED],
                        residents_checked=checks.get(bucket, {}).get("n", 0), candidates=checks.get(bucket, {}).get("candidates", 0),
                        by_result=by_result)

    rows = [row(child, child.path, child.name) for child in children]
    if children and base.path in households:  # households placed on the node itself, not on a child
        rows.append(row(None, base.path, base.name))
    total = Coverage(node=base, label=base.name)
    for r in rows or [row(base, base.path, base.name)]:
        total.add(r)
    return total, rows


@dataclass
class WorkLogRow:
    day: dt.date
    node: OrgUnit
    visits: int
    households_done: int
    revisits: int
    refused: int
    residents_checked: int
    candidates: int
    visitors: int


WORK_LOG_LEVELS = (Level.STREET, Level.COMMUNITY, Level.GRID)


def work_log(*, actor, screening_round: ScreeningRound, org: OrgUnit | None = None, level: str = Level.GRID,
             since: dt.date | None = None, until: dt.date | None = None) -> list[WorkLogRow]:
    """The street/community/grid daily work log (seed 002: 街村组三级工作日志), derived from the
    visits recorded, never typed: one row per day and node of `level` under the base node."""
    base = round_base(actor=actor, screening_round=screening_round, org=org)
    nodes = {u.path: u for u in OrgUnit.objects.filter(subtree_q("path", base.path), level=level)}
    if base.level == level:
        nodes[base.path] = base
    visits = _in_round(ScreeningVisit.objects.filter(round=screening_round), actor, screening_round, base)
    checks = _in_round(PersonCheck.objects.filter(round=screening_round), actor, screening_round, base)
    tz = timezone.get_current_timezone()
    if since:
        visits = visits.filter(visited_at__date__gte=since)
        checks = checks.filter(visit__visited_at__date__gte=since)
    if until:
        visits = visits.filter(visited_at__date__lte=until)
        checks = checks.filter(visit__visited_at__date__lte=until)
    out: dict[tuple, WorkLogRow] = {}
    for length in sorted({len(p) for p in nodes}):
        visit_rows = (visits.annotate(bucket=Substr("org_path", 1, length), day=TruncDate("visited_at", tzinfo=tz))
                      .values("bucket", "day").order_by()
                      .annotate(n=Count("pk"), revisits=Count("pk", filter=Q(result__in=REVISIT_RESULTS)),
                                refused=Count("pk", filter=Q(result=Result.REFUSED)), visitors=Count("visitor_name", distinct=True)))
        for r in visit_rows:
            node = nodes.get(r["bucket"])
            if node is None:
                continue
            out[(r["day"], node.path)] = WorkLogRow(day=r["day"], node=node, visits=r["n"], households_done=r["n"] - r["revisits"],
                                                    revisits=r["revisits"], refused=r["refused"], residents_checked=0, candidates=0,
                                                    visitors=r["visitors"])
        check_rows = (checks.annotate(bucket=Substr("org_path", 1, length), day=TruncDate("visit__visited_at", tzinfo=tz))
                      .values("bucket", "day").order_by()
                      .annotate(n=Count("pk"), candidates=Count("pk", filter=Q(is_candidate=True))))
        for r in check_rows:
            entry = out.get((r["day"], r["bucket"]))
            if entry is not None:
                entry.residents_checked, entry.candidates = r["n"], r["candidates"]
    return sorted(out.values(), key=lambda e: (-e.day.toordinal(), e.node.path))


def visit_list(*, actor, screening_round: ScreeningRound, org: OrgUnit | None = None,
               household: Household | None = None) -> QuerySet[ScreeningVisit]:
    base = round_base(actor=actor, screening_round=screening_round, org=org)
    qs = _in_round(ScreeningVisit.objects.select_related("household", "grid"), actor, screening_round, base).filter(round=screening_round)
    return qs.filter(household=household) if household is not None else qs


def candidate_list(*, actor, screening_round: ScreeningRound, org: OrgUnit | None = None, status: str = "") -> QuerySet[PersonCheck]:
    """Key-person candidates of the round's latest visits, pending ones first."""
    base = round_base(actor=actor, screening_round=screening_round, org=org)
    qs = _in_round(PersonCheck.objects.filter(round=screening_round, is_candidate=True, current=True), actor, screening_round, base)
    if status:
        qs = qs.filter(candidate_status=status)
    pending_first = Case(When(candidate_status=CandidateStatus.PENDING, then=0), default=1)
    return (qs.select_related("resident", "visit", "visit__household", "visit__grid", "decided_by")
            .order_by(pending_first, "-visit__visited_at", "pk"))


def access_check(*, actor, uid) -> PersonCheck:
    return access(PersonCheck.objects.select_related("resident", "visit", "round", "visit__household"), actor, uid=uid)


def ledger_rows(*, actor, screening_round: ScreeningRound, org: OrgUnit | None = None):
    """The 摸排台账: one row per resident of the node, with the household's latest visit and
    the person's check in it (empty when not yet visited). One query, streamed."""
    base = round_base(actor=actor, screening_round=screening_round, org=org)
    qs = _in_round(Resident.objects.all(), actor, screening_round, base).annotate(
        chk=FilteredRelation("screening_checks", condition=Q(screening_checks__round=screening_round, screening_checks__current=True)),
        vis=FilteredRelation("household__screening_visits",
                             condition=Q(household__screening_visits__round=screening_round, household__screening_visits__is_latest=True)),
    )
    return qs.order_by("org_path", "household_id", "pk").values(
        "name", "id_number", "phone", "household__address", "household__grid__name",
        "vis__method", "vis__result", "vis__visited_at", "vis__visitor_name", "vis__revisit_due",
        "chk__presence", "chk__whereabouts", "chk__travel", "chk__case_contact", "chk__temperature", "chk__symptoms",
        "chk__is_candidate", "chk__candidate_reasons", "chk__candidate_status",
    )
