"""Every read of the checkpoints app, scoped by the actor. Checkpoint staff are narrower than
their jurisdiction: they see the gates they are posted to and those gates' records only."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import clock
from lianfang.core.errors import DomainError
from lianfang.core.models import PATH_SEGMENT, Level, OrgUnit, User, path_ids
from lianfang.core.roles import Capability, Role
from lianfang.core.scoping import _one_or_404, scoped, subtree_q, within
from lianfang.core.services import require
from lianfang.quarantine import selectors as quarantine_selectors
from lianfang.registry.models import Resident

from . import tokens
from .models import Checkpoint, Direction, DutyShift, Outcome, PassCard, Passage, Referral


def _posted_only(actor) -> bool:
    return getattr(actor, "role", None) == Role.CHECKPOINT_STAFF


def visible_checkpoints(actor) -> QuerySet[Checkpoint]:
    qs = scoped(Checkpoint.objects.all(), actor)
    return qs.filter(staff=actor) if _posted_only(actor) else qs


def _visible_at_gates(queryset: QuerySet, actor, checkpoint_field: str = "checkpoint") -> QuerySet:
    """Records of gates: the jurisdiction, and for checkpoint staff only their posts' records."""
    qs = scoped(queryset, actor)
    if _posted_only(actor):
        qs = qs.filter(**{f"{checkpoint_field}__in": Checkpoint.objects.filter(staff=actor).values("pk")})
    return qs



# --- checkpoints and rosters ----------------------------------------------------------------

def checkpoint_list(*, actor, org: OrgUnit | None = None, kind: str = "", q: str = "", active: bool | None = None) -> QuerySet[Checkpoint]:
    qs = within(visible_checkpoints(actor), org).select_related("org")
    if kind:
        qs = qs.filter(kind=kind)
    if q := q.strip():
        qs = qs.filter(Q(name__icontains=q) | Q(location__icontains=q))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def access_checkpoint(*, actor, uid) -> Checkpoint:
    return _one_or_404(visible_checkpoints(actor).select_related("org"), uid=uid)


def circle_exits(*, actor, org: OrgUnit) -> QuerySet[Checkpoint]:
    """The gates of one compound or closed circle (its exits), single exit first."""
    return visible_checkpoints(actor).filter(org=org).order_by("-is_single_exit", "name")


def staff_candidates(*, checkpoint: Checkpoint) -> QuerySet[User]:
    """Checkpoint staff who may be posted to the gate: their jurisdiction covers it."""
    path = checkpoint.org_path
    ancestors = [path[:i] for i in range(PATH_SEGMENT, len(path) + 1, PATH_SEGMENT)]
    return (User.objects.filter(is_active=True, role=Role.CHECKPOINT_STAFF, jurisdiction__path__in=ancestors)
            .select_related("jurisdiction").order_by("username"))


def duty_user_candidates(*, checkpoint: Checkpoint) -> QuerySet[User]:
    """Accounts that may be named on the gate's shifts: covering the gate or working inside its unit."""
    path = checkpoint.org_path
    ancestors = [path[:i] for i in range(PATH_SEGMENT, len(path) + 1, PATH_SEGMENT)]
    return (User.objects.filter(is_active=True).filter(Q(jurisdiction__path__in=ancestors) | subtree_q("jurisdiction__path", path))
            .select_related("jurisdiction").order_by("username"))


def shift_list(*, actor, checkpoint: Checkpoint, since: dt.date, until: dt.date) -> QuerySet[DutyShift]:
    start, end = clock.day_bounds(since, until)
    return (_visible_at_gates(DutyShift.objects.filter(checkpoint=checkpoint), actor)
            .filter(starts_at__gte=start, starts_at__lt=end)
            .prefetch_related("assignments").select_related("handover_by"))


def access_shift(*, actor, uid) -> DutyShift:
    return _one_or_404(_visible_at_gates(DutyShift.objects.select_related("checkpoint"), actor), uid=uid)


def shift_now(*, checkpoint: Checkpoint, now: dt.datetime | None = None) -> DutyShift | None:
    """The shift on duty at the gate now (None: nobody planned)."""
    now = now or clock.now()
    return (checkpoint.shifts.filter(starts_at__lte=now, ends_at__gt=now).prefetch_related("assignments").first())


def shift_previous(*, shift: DutyShift) -> DutyShift | None:
    """The shift before this one, whose handover note the incoming shift reads."""
    return shift.checkpoint.shifts.filter(starts_at__lt=shift.starts_at).order_by("-starts_at").first()


@dataclass
class DutyBoardRow:
    checkpoint: Checkpoint
    shift: DutyShift | None
    names: list[str] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        return not self.names


def duty_now(*, checkpoints, now: dt.datetime | None = None) -> list[DutyBoardRow]:
    """Who is on duty now at each of `checkpoints` (already read through the actor's scope):
    a gate without a planned shift, or with a shift nobody is on, is a gap. Two queries."""
    now = now or clock.now()
    gates = list(checkpoints)
    shifts = {s.checkpoint_id: s for s in DutyShift.objects.filter(checkpoint__in=gates, starts_at__lte=now, ends_at__gt=now)
              .prefetch_related("assignments")}
    return [DutyBoardRow(gate, shifts.get(gate.pk), [str(a) for a in shifts[gate.pk].assignments.all()] if gate.pk in shifts else [])
            for gate in gates]


def duty_board(*, actor, org: OrgUnit | None = None, now: dt.datetime | None = None) -> list[DutyBoardRow]:
    """Every gate in service with who is on duty now."""
    return duty_now(checkpoints=checkpoint_list(actor=actor, org=org, active=True), now=now)


# --- pass cards -----------------------------------------------------------------------------

def pass_card_list(*, actor, org: OrgUnit | None = None, status: str = "", q: str = "") -> QuerySet[PassCard]:
    qs = within(scoped(PassCard.objects.all(), actor), org).select_related("household", "resident")
    if status:
        qs = qs.filter(status=status)
    if q := q.strip():
        qs = qs.filter(Q(number=q) | Q(household__address__icontains=q) | Q(resident__name__icontains=q))
    return qs


def access_pass_card(*, actor, uid) -> PassCard:
    return _one_or_404(scoped(PassCard.objects.select_related("household", "resident", "replaces"), actor), uid=uid)


@dataclass
class CardCheck:
    """What the gate sees after a scan, before recording: whose card and whether they may go out."""

    card: PassCard
    members: list[Resident]
    quarantined: list[str]

    @property
    def exit_blocked(self) -> bool:
        return bool(self.quarantined)


def pass_card_check(*, actor, code: str) -> CardCheck:
    """The card behind a scanned code, for a gate the actor may record at. Any card of the
    district is accepted (a resident of another compound is a visitor here)."""
    require(actor, Capability.RECORD_PASSAGES)
    token = tokens.token_from_code(code)
    card = PassCard.objects.select_related("household", "resident").filter(token=token).first()
    if card is None or actor.jurisdiction is None or card.district_id != path_ids(actor.jurisdiction.path)[0]:
        raise DomainError(_("This pass card is not known: it may belong to another system."), field="card", code="card_unknown")
    members = [card.resident] if card.resident else list(Resident.objects.filter(household=card.household).order_by("pk"))
    orders = quarantine_selectors.active_orders_of(resident_ids=[m.pk for m in members])
    return CardCheck(card, members, [m.name for m in members if m.pk in orders])


def cards_for_sheet(*, actor, org: OrgUnit, card: PassCard | None = None) -> QuerySet[PassCard]:
    """The valid cards under a compound or building, in address order, for printing (or one)."""
    qs = PassCard.objects.filter(status=PassCard.Status.ACTIVE, **({"pk": card.pk} if card else {}))
    return (scoped(qs, actor)
            .filter(subtree_q("org_path", org.path)).select_related("household", "resident")
            .order_by("org_path", "household__room", "household_id", "pk"))


# --- passages -------------------------------------------------------------------------------

def passage_list(*, actor, checkpoint: Checkpoint | None = None, org: OrgUnit | None = None, since: dt.date | None = None,
                 until: dt.date | None = None, direction: str = "", outcome: str = "", visitors: bool = False,
                 breaches: bool = False, q: str = "") -> QuerySet[Passage]:
    qs = within(_visible_at_gates(Passage.objects.all(), actor), org).select_related("checkpoint", "recorded_by")
    if checkpoint is not None:
        qs = qs.filter(checkpoint=checkpoint)
    if since:
        qs = qs.filter(at__gte=clock.local(since))
    if until:
        qs = qs.filter(at__lt=clock.local(until + dt.timedelta(days=1)))
    if direction:
        qs = qs.filter(direction=direction)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if visitors:
        qs = qs.filter(is_visitor=True)
    if breaches:
        qs = qs.filter(is_breach=True)
    if q := q.strip():
        qs = qs.filter(Q(name__icontains=q) | Q(plate__icontains=q.upper()) | Q(id_number=q.upper()) | Q(phone=q))
    return qs


def access_passage(*, actor, uid) -> Passage:
    return _one_or_404(_visible_at_gates(Passage.objects.select_related("checkpoint", "card", "recorded_by"), actor), uid=uid)


FIGURES = {
    "total": Count("pk"),
    "inbound": Count("pk", filter=Q(direction=Direction.IN)),
    "outbound": Count("pk", filter=Q(direction=Direction.OUT)),
    "visitors": Count("pk", filter=Q(is_visitor=True)),
    "turned_back": Count("pk", filter=Q(outcome=Outcome.TURNED_BACK)),
    "referred": Count("pk", filter=Q(outcome=Outcome.REFERRED)),
    "breaches": Count("pk", filter=Q(is_breach=True)),
    "vehicles": Count("pk", filter=~Q(plate="")),
}


@dataclass
class PassageFigures:
    since: dt.date
    until: dt.date
    by_checkpoint_day: list[dict]
    by_checkpoint: list[dict]
    by_community: list[dict]
    by_day: list[dict]
    hours: list[int]
    totals: dict


def _sum(rows: list[dict]) -> dict:
    return {k: sum(r[k] for r in rows) for k in FIGURES}


MAX_FIGURE_DAYS = 93


def figures_period(*, since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period asked for: by default the last 7 days; at most 93 days (one grouped scan)."""
    until = until or clock.today()
    since = since or until - dt.timedelta(days=6)
    if since > until or (until - since).days >= MAX_FIGURE_DAYS:
        raise DomainError(_("Choose a period of at most 93 days, the first day before the last."), field="since")
    return since, until


def passage_figures(*, actor, since: dt.date, until: dt.date, org: OrgUnit | None = None,
                    checkpoint: Checkpoint | None = None) -> PassageFigures:
    """Passages in/out, visitors, turned back, referrals and breaches per gate and day, per
    community and per day, and the busiest hours (local time). Two grouped queries."""
    qs = passage_list(actor=actor, checkpoint=checkpoint, org=org, since=since, until=until).order_by()
    tz = timezone.get_current_timezone()
    grouped = list(qs.annotate(day=TruncDate("at", tzinfo=tz)).values("checkpoint_id", "day").annotate(**FIGURES)
                   .order_by("day", "checkpoint_id"))
    hours = [0] * 24
    for row in qs.annotate(hour=ExtractHour("at", tzinfo=tz)).values("hour").annotate(n=Count("pk")):
        hours[row["hour"]] = row["n"]
    gates = {c.pk: c for c in Checkpoint.objects.filter(pk__in={r["checkpoint_id"] for r in grouped}).select_related("org")}
    for row in grouped:
        row["checkpoint"] = gates[row["checkpoint_id"]]
    # A gate's community is the community among its unit's ancestors (or the unit itself).
    ancestor_ids = {i for g in gates.values() for i in path_ids(g.org_path)}
    communities = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ancestor_ids, level__in=[Level.COMMUNITY])}
    by_checkpoint: dict[int, list[dict]] = {}
    by_community: dict[int | None, list[dict]] = {}
    by_day: dict[dt.date, list[dict]] = {}
    for row in grouped:
        gate = row["checkpoint"]
        community = next((communities[i] for i in path_ids(gate.org_path) if i in communities), None)
        by_checkpoint.setdefault(gate.pk, []).append(row)
        by_community.setdefault(community.pk if community else None, []).append(row)
        by_day.setdefault(row["day"], []).append(row)
    return PassageFigures(
        since=since, until=until, by_checkpoint_day=grouped,
        by_checkpoint=[{"checkpoint": gates[pk], **_sum(rows)} for pk, rows in by_checkpoint.items()],
        by_community=[{"community": communities.get(pk), **_sum(rows)} for pk, rows in by_community.items()],
        by_day=[{"day": day, **_sum(rows)} for day, rows in sorted(by_day.items())],
        hours=hours, totals=_sum(grouped),
    )


# --- referrals ------------------------------------------------------------------------------

def referral_list(*, actor, org: OrgUnit | None = None, status: str = "", open_only: bool = False) -> QuerySet[Referral]:
    """Open first, then acknowledged, then closed; newest first within each."""
    rank = Case(When(status=Referral.Status.OPEN, then=Value(0)), When(status=Referral.Status.ACKNOWLEDGED, then=Value(1)),
                default=Value(2), output_field=IntegerField())
    qs = (within(_visible_at_gates(Referral.objects.all(), actor, "passage__checkpoint"), org).select_related("passage__checkpoint")
          .annotate(rank=rank).order_by("rank", "-raised_at", "-id"))
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.exclude(status=Referral.Status.CLOSED)
    return qs


def access_referral(*, actor, uid) -> Referral:
    return _one_or_404(_visible_at_gates(Referral.objects.select_related("passage__checkpoint"), actor, "passage__checkpoint"), uid=uid)


def referral_open_count(*, actor) -> int:
    """For the menu: referrals not closed (the partial index on open referrals serves it)."""
    return _visible_at_gates(Referral.objects.exclude(status=Referral.Status.CLOSED), actor, "passage__checkpoint").count()

