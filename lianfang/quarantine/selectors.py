"""Reads of key persons, orders, follow-ups, alerts and releases, scoped to the actor.

Doctors and police also see the people they are named for as cadres, wherever those live
("only their assigned people or area"): `visible` is the jurisdiction plus those orders."""

import datetime as dt
import statistics
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Case, ExpressionWrapper, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core import clock
from lianfang.core.models import PATH_SEGMENT, OrgUnit
from lianfang.core.scoping import _one_or_404, scoped_or, within

from .models import Alert, Cadre, HealthCheck, KeyPerson, QuarantineOrder, Slot, SpotCheck, SupportRequest
from .policy import policy_for, window_bounds


def _mine(actor) -> list[int]:
    """Ids of the orders the actor is named for as a cadre, read first (the cadre index): a
    doctor's few hundred ids make a lookup by key, and for most users the list is empty and the
    "or named for" part of `visible` vanishes from the query."""
    return list(Cadre.objects.filter(user_id=getattr(actor, "pk", None)).values_list("order_id", flat=True))


def _assigned(actor, order_field: str) -> Q:
    if order_field == "key_person":
        return Q(pk__in=QuarantineOrder.objects.filter(pk__in=_mine(actor)).values("key_person_id"))
    return Q(**{f"{order_field or 'pk'}__in": _mine(actor)})


def visible(queryset: QuerySet, actor, *, order_field: str = "") -> QuerySet:
    """The actor's jurisdiction, plus what belongs to the orders they are named for.
    `order_field` leads from the model to its order ("" for orders, "key_person" for files)."""
    return scoped_or(queryset, actor, _assigned(actor, order_field))


def mine_only(queryset: QuerySet, actor, *, order_field: str = "") -> QuerySet:
    """Only what belongs to the orders the actor is named for ("mine")."""
    return queryset.filter(_assigned(actor, order_field))



# --- key persons ----------------------------------------------------------------------------

def key_person_list(*, actor, org: OrgUnit | None = None, category: str = "", source: str = "", status: str = "",
                    mine: bool = False) -> QuerySet[KeyPerson]:
    qs = KeyPerson.objects.select_related("resident", "resident__household", "resident__household__grid", "created_by")
    qs = mine_only(qs, actor, order_field="key_person") if mine else within(visible(qs, actor, order_field="key_person"), org)
    for field, value in (("category", category), ("source", source), ("status", status)):
        if value:
            qs = qs.filter(**{field: value})
    return qs


def access_key_person(*, actor, uid) -> KeyPerson:
    qs = KeyPerson.objects.select_related("resident", "resident__household", "resident__household__grid", "created_by")
    return _one_or_404(visible(qs, actor, order_field="key_person"), uid=uid)


# --- orders ---------------------------------------------------------------------------------

ORDER_RELATED = ("resident", "resident__household", "resident__household__grid", "key_person", "room", "room__site")


def order_list(*, actor, org: OrgUnit | None = None, status: str = "", kind: str = "", mine: bool = False,
               ending_by: dt.date | None = None) -> QuerySet[QuarantineOrder]:
    qs = QuarantineOrder.objects.select_related(*ORDER_RELATED).prefetch_related("cadres__user")
    qs = mine_only(qs, actor) if mine else within(visible(qs, actor), org)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if ending_by:
        qs = qs.filter(end_date__lte=ending_by)
    return qs


def access_order(*, actor, uid) -> QuarantineOrder:
    return _one_or_404(visible(QuarantineOrder.objects.select_related(*ORDER_RELATED), actor), uid=uid)


def active_orders_of(*, resident_ids) -> dict[int, QuarantineOrder]:
    """{resident id: active order} for the residents among `resident_ids` under quarantine now —
    the entry point checkpoints use to block an exit. Not scoped: the gate must know whoever
    stands at it, and learns only that they may not leave."""
    ids = [i for i in resident_ids if i]
    if not ids:
        return {}
    return {o.resident_id: o for o in QuarantineOrder.objects.filter(resident_id__in=ids, status=QuarantineOrder.Status.ACTIVE)
            .only("pk", "uid", "resident_id", "key_person_id", "district_id", "org_path", "start_date", "end_date", "kind")}


def order_checks(*, order: QuarantineOrder) -> QuerySet[HealthCheck]:
    return order.checks.select_related("measured_by").order_by("-checked_at", "-id")


# --- today's follow-up list -----------------------------------------------------------------

class State:
    OVERDUE, DUE, UPCOMING, DONE = "overdue", "due", "upcoming", "done"
    ORDER = [OVERDUE, DUE, UPCOMING, DONE]
    LABELS = {OVERDUE: _("Overdue"), DUE: _("Due now"), UPCOMING: _("Upcoming"), DONE: _("Done"), "": _("Not owed")}


@dataclass(frozen=True)
class FollowUpDay:
    """The windows of one day as seen at `now`: which are open, which have closed."""

    day: dt.date
    now: dt.datetime
    windows: dict  # slot -> (start, end)

    def slot_state_q(self, slot: str) -> dict[str, Q]:
        """{state: condition on an order} for one window of the day."""
        start, end = self.windows[slot]
        done = Q(**{f"{slot}_checked_on": self.day})
        owed = Q(checks_from__lt=end)  # an order entered after the window closed owes nothing for it
        if self.now < start:
            pending = State.UPCOMING
        elif self.now < end:
            pending = State.DUE
        else:
            pending = State.OVERDUE
        return {State.DONE: owed & done, pending: owed & ~done}


def followup_day(*, district_id: int, now: dt.datetime | None = None) -> FollowUpDay:
    now = now or clock.now()
    day = timezone.localdate(now)
    policy = policy_for(district_id=district_id)
    return FollowUpDay(day=day, now=now, windows={s: window_bounds(policy, day, s) for s in Slot.values})


def followup_base(*, day: FollowUpDay) -> QuerySet[QuarantineOrder]:
    """Active orders that owe at least one check today."""
    last_end = max(end for _start, end in day.windows.values())
    return QuarantineOrder.objects.filter(status=QuarantineOrder.Status.ACTIVE, end_date__gte=day.day, checks_from__lt=last_end)


def state_conditions(day: FollowUpDay) -> dict[str, Q]:
    """{state: condition}, mutually exclusive: overdue if a window closed unchecked, else due if
    an open window is unchecked, else upcoming if a window is still to open, else done."""
    m, a = day.slot_state_q(Slot.MORNING), day.slot_state_q(Slot.AFTERNOON)
    never = Q(pk__in=[])
    out, taken = {}, never
    for state in State.ORDER[:-1]:
        cond = m.get(state, never) | a.get(state, never)
        out[state] = cond & ~taken
        taken = taken | cond
    out[State.DONE] = ~taken
    return out


def _state_case(day: FollowUpDay) -> Case:
    return Case(*[When(cond, then=Value(State.ORDER.index(state))) for state, cond in state_conditions(day).items()],
                output_field=IntegerField())


def followup_list(*, actor, org: OrgUnit | None = None, mine: bool = False, cadre_user_id: int | None = None, state: str = "",
                  now: dt.datetime | None = None) -> tuple[QuerySet[QuarantineOrder], dict[str, int], FollowUpDay]:
    """Today's follow-ups, live from the orders: (the orders owing a check today, sorted overdue →
    due → upcoming → done by place, with `state_rank`; counts per state; the day's windows).
    `followup_page` reads one page of them without sorting them all."""
    day = followup_day(district_id=int(actor.jurisdiction.path[:PATH_SEGMENT]), now=now)
    qs = followup_base(day=day)
    if mine:
        qs = mine_only(qs, actor)
    else:
        qs = within(visible(qs, actor), org)
    if cadre_user_id:
        qs = qs.filter(pk__in=list(Cadre.objects.filter(user_id=cadre_user_id).values_list("order_id", flat=True)))
    # One person's list (a doctor's few hundred) is counted here from its rows' columns, which
    # costs less than planning the aggregate; a district's is counted by the database.
    counts = followup_counts_of(qs, day) if mine or cadre_user_id else followup_counts(qs, day)
    if state in State.ORDER:
        qs = qs.filter(state_conditions(day)[state])
    return followup_sorted(qs, day), counts, day


# Up to this many rows, a page is sorted in Python from the rows' keys (see followup_page).
SMALL_LIST = 3000
ROW_RELATED = ("resident", "resident__household", "key_person", "room", "room__site")


def followup_sorted(qs: QuerySet[QuarantineOrder], day: FollowUpDay) -> QuerySet[QuarantineOrder]:
    """Every row, overdue → due → upcoming → done, by place (the export)."""
    return (qs.annotate(state_rank=_state_case(day)).select_related(*ROW_RELATED, "resident__household__grid")
            .prefetch_related("cadres__user").order_by("state_rank", "org_path", "pk"))


def followup_page(qs: QuerySet[QuarantineOrder], counts: dict[str, int], day: FollowUpDay, *, number, per_page: int = 50,
                  state: str = "", with_cadres: bool = False) -> Page:
    """One page, read state by state (overdue first), each state in path order with a LIMIT, so a
    page of the district costs a few short index reads rather than sorting every order. The
    counts already known give the paginator its total."""
    states = [state] if state in State.ORDER else State.ORDER
    paginator = Paginator([], per_page)
    paginator.count = sum(counts[s] for s in states)  # cached_property: set, not computed
    number = paginator.get_page(number).number
    offset, wanted, rows = (number - 1) * per_page, per_page, []
    if paginator.count <= SMALL_LIST:
        # A doctor's few hundred: sort their keys here and fetch the page by id. (Asked for a LIMIT
        # in path order, the planner walks the whole path index looking for their ids.)
        keys = counts.get("_keys") or sorted(qs.order_by().values_list("state_rank", "org_path", "pk"))
        if state in State.ORDER:
            keys = [k for k in keys if k[0] == State.ORDER.index(state)]
        keys = keys[offset:offset + per_page]
        page = QuarantineOrder.objects.filter(pk__in=[pk for *_k, pk in keys]).select_related(*ROW_RELATED)
        by_id = {o.pk: o for o in (page.prefetch_related("cadres__user") if with_cadres else page)}
        for rank, _path, pk in keys:
            by_id[pk].state_rank = rank
        return Page([by_id[pk] for *_k, pk in keys], number, paginator)
    conditions = state_conditions(day)
    for s in states:
        n = counts[s]
        if offset >= n:
            offset -= n
            continue
        take = min(wanted, n - offset)
        part = qs.filter(conditions[s]).order_by("org_path", "pk")
        part = (part if with_cadres else part.prefetch_related(None))[offset:offset + take]
        rows.extend(part)
        wanted -= take
        offset = 0
        if not wanted:
            break
    return Page(rows, number, paginator)


def followup_counts(qs: QuerySet[QuarantineOrder], day: FollowUpDay) -> dict[str, int]:
    """Orders per state and the checks owed, in one aggregate over the follow-up index."""
    aggregates = {state: Count("org_path", filter=cond) for state, cond in state_conditions(day).items()}
    for slot in Slot.values:
        for state, cond in day.slot_state_q(slot).items():
            aggregates[f"{slot}_{state}"] = Count("org_path", filter=cond)
    row = qs.aggregate(total=Count("*"), **aggregates)
    row["checks_done"] = sum(row[f"{s}_{State.DONE}"] for s in Slot.values)
    row["checks_overdue"] = sum(row.get(f"{s}_{State.OVERDUE}", 0) for s in Slot.values)
    return row


def row_slot_state(order: QuarantineOrder, day: FollowUpDay, slot: str) -> str:
    """The state of one window for one order, in Python (for the rows on the page)."""
    start, end = day.windows[slot]
    if order.checks_from >= end:
        return ""
    if getattr(order, f"{slot}_checked_on") == day.day:
        return State.DONE
    return State.UPCOMING if day.now < start else State.DUE if day.now < end else State.OVERDUE


def followup_counts_of(qs: QuerySet[QuarantineOrder], day: FollowUpDay) -> dict:
    """`followup_counts` in Python, from each row's columns, for short lists. The rows' sort keys
    come along under "_keys" for `followup_page` (one query carries the person's ids, not three:
    a few hundred ids are most of the cost of such a query)."""
    counts = dict.fromkeys(["total", *State.ORDER, *(f"{s}_{st}" for s in Slot.values for st in State.ORDER)], 0)
    keys = []
    # Owed and done per window as booleans from the database: no timestamps to convert here.
    flags = {f"{slot}_{what}": ExpressionWrapper(cond, output_field=BooleanField())
             for slot in Slot.values for what, cond in (("owed", Q(checks_from__lt=day.windows[slot][1])),
                                                        ("done", Q(**{f"{slot}_checked_on": day.day})))}
    pending = {slot: State.UPCOMING if day.now < start else State.DUE if day.now < end else State.OVERDUE
               for slot, (start, end) in day.windows.items()}
    for pk, path, m_owed, m_done, a_owed, a_done in qs.order_by().annotate(**flags).values_list(
            "pk", "org_path", "morning_owed", "morning_done", "afternoon_owed", "afternoon_done"):
        slots = {Slot.MORNING: (State.DONE if m_done else pending[Slot.MORNING]) if m_owed else "",
                 Slot.AFTERNOON: (State.DONE if a_done else pending[Slot.AFTERNOON]) if a_owed else ""}
        state = next((st for st in State.ORDER[:-1] if st in slots.values()), State.DONE)
        keys.append((State.ORDER.index(state), path, pk))
        counts["total"] += 1
        counts[state] += 1
        for slot, st in slots.items():
            if st:
                counts[f"{slot}_{st}"] += 1
    counts["checks_done"] = sum(counts[f"{s}_{State.DONE}"] for s in Slot.values)
    counts["checks_overdue"] = sum(counts[f"{s}_{State.OVERDUE}"] for s in Slot.values)
    counts["_keys"] = sorted(keys)
    return counts


def followup_row(*, order: QuarantineOrder) -> QuarantineOrder | None:
    """One order's row of today's list (after a check on the page), without the list's counts.
    The caller has fetched `order` through `access_order`."""
    day = followup_day(district_id=order.district_id)
    return next(followup_rows(followup_sorted(followup_base(day=day).filter(pk=order.pk), day), day), None)


def followup_rows(rows, day: FollowUpDay):
    """Rows (of a page, or every row of an export, lazily) with their states set."""
    for order in rows:
        order.state = State.ORDER[order.state_rank]
        order.morning = row_slot_state(order, day, Slot.MORNING)
        order.afternoon = row_slot_state(order, day, Slot.AFTERNOON)
        order.today = day.day
        order.day_no = order.day_number(day.day)
        order.state_label, order.morning_label, order.afternoon_label = (
            State.LABELS[order.state], State.LABELS[order.morning], State.LABELS[order.afternoon])
        yield order


def followup_breakdown(*, actor, org: OrgUnit, children: list[OrgUnit], day: FollowUpDay) -> list[dict]:
    """Per child node (street, community, grid): orders and their states, so the district
    sees where checks are overdue. One query grouped by path, folded into the children."""
    qs = within(visible(followup_base(day=day), actor), org)
    grouped = qs.order_by().values("org_path").annotate(**{s: Count("org_path", filter=cond) for s, cond in state_conditions(day).items()})
    out = {c.path: {"org": c, "total": 0, **{s: 0 for s in State.ORDER}} for c in children}
    width = len(children[0].path) if children else 0
    for g in grouped:
        bucket = out.get(g["org_path"][:width])
        if bucket is None:
            continue
        for s in State.ORDER:
            bucket[s] += g[s]
            bucket["total"] += g[s]
    return [b for b in out.values() if b["total"]]


# --- alerts ---------------------------------------------------------------------------------

def alert_list(*, actor, org: OrgUnit | None = None, status: str = "", kind: str = "", mine: bool = False) -> QuerySet[Alert]:
    qs = Alert.objects.select_related("key_person", "key_person__resident", "key_person__resident__household", "order",
                                      "acknowledged_by", "closed_by", "health_check")
    qs = mine_only(qs, actor, order_field="order") if mine else within(visible(qs, actor, order_field="order"), org)
    if status == "unclosed":
        qs = qs.exclude(status=Alert.Status.CLOSED)
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def check_alert(*, check: HealthCheck) -> Alert | None:
    return Alert.objects.filter(health_check=check).first() if check.is_abnormal else None


def access_alert(*, actor, uid) -> Alert:
    qs = Alert.objects.select_related("key_person", "key_person__resident", "key_person__resident__household", "order", "health_check")
    return _one_or_404(visible(qs, actor, order_field="order"), uid=uid)


def alert_open_count(*, actor) -> int:
    """For the badge in the navigation: open alerts the actor should act on."""
    if getattr(actor, "jurisdiction", None) is None:
        return 0
    return visible(Alert.objects.filter(status=Alert.Status.OPEN), actor, order_field="order").count()


# --- spot checks and living support ---------------------------------------------------------

def spot_check_list(*, actor, order: QuarantineOrder | None = None) -> QuerySet[SpotCheck]:
    qs = visible(SpotCheck.objects.select_related("order__resident", "checked_by"), actor, order_field="order")
    return qs.filter(order=order) if order is not None else qs


def support_request_list(*, actor, org: OrgUnit | None = None, status: str = "", order: QuarantineOrder | None = None,
                         mine: bool = False) -> QuerySet[SupportRequest]:
    qs = SupportRequest.objects.select_related("order__resident", "order__resident__household", "fulfilled_by", "created_by")
    qs = mine_only(qs, actor, order_field="order") if mine else within(visible(qs, actor, order_field="order"), org)
    if order is not None:
        qs = qs.filter(order=order)
    if status:
        qs = qs.filter(status=status)
    return qs


def access_support_request(*, actor, uid) -> SupportRequest:
    return _one_or_404(visible(SupportRequest.objects.select_related("order__resident"), actor, order_field="order"), uid=uid)


# --- releases and the numbers of "早发现、早报告、早隔离" --------------------------------------

def release_list(*, actor, org: OrgUnit | None = None, since: dt.date | None = None, until: dt.date | None = None,
                 kind: str = "") -> QuerySet[QuarantineOrder]:
    qs = QuarantineOrder.objects.filter(status=QuarantineOrder.Status.RELEASED).select_related(*ORDER_RELATED, "ended_by")
    qs = within(visible(qs, actor), org)
    if since:
        qs = qs.filter(ended_at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min)))
    if until:
        qs = qs.filter(ended_at__lt=timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min)))
    if kind:
        qs = qs.filter(release_kind=kind)
    return qs.order_by("-ended_at", "-id")


def release_stats(*, releases: QuerySet[QuarantineOrder]) -> dict:
    """Releases per day and per kind, and the average days in quarantine."""
    per_day: dict[dt.date, int] = {}
    kinds: dict[str, int] = {}
    days = []
    for ended_at, kind, start, in releases.values_list("ended_at", "release_kind", "start_date").iterator(chunk_size=5000):
        local = timezone.localdate(ended_at)
        per_day[local] = per_day.get(local, 0) + 1
        kinds[kind] = kinds.get(kind, 0) + 1
        days.append((local - start).days + 1)
    return {"total": sum(kinds.values()), "per_day": sorted(per_day.items()), "kinds": kinds,
            "mean_days": round(statistics.fmean(days), 1) if days else None}


def _hours(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "median": None, "p90": None, "max": None}
    values = sorted(values)
    return {"n": len(values), "median": round(statistics.median(values), 1),
            "p90": round(values[min(len(values) - 1, int(len(values) * 0.9))], 1), "max": round(values[-1], 1)}


def timeliness(*, actor, org: OrgUnit | None = None, since: dt.date, until: dt.date) -> dict:
    """早发现、早报告、早隔离 as numbers, in hours: from a person being flagged to their first
    order; from a fever/symptom alert to its acknowledgement and to its disposition."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    orders = within(visible(QuarantineOrder.objects.all(), actor), org).filter(created_at__gte=start, created_at__lt=end)
    first_orders = orders.exclude(Exists(QuarantineOrder.objects.filter(key_person=OuterRef("key_person"), created_at__lt=OuterRef("created_at"))))
    isolation = [(created - flagged).total_seconds() / 3600
                 for created, flagged in first_orders.values_list("created_at", "key_person__flagged_at") if flagged]
    alerts = within(visible(Alert.objects.filter(kind__in=[Alert.Kind.FEVER, Alert.Kind.SYMPTOM]), actor, order_field="order"), org)
    alerts = alerts.filter(raised_at__gte=start, raised_at__lt=end)
    acknowledged, disposed, open_now = [], [], 0
    for raised, ack, closed in alerts.values_list("raised_at", "acknowledged_at", "closed_at"):
        if ack:
            acknowledged.append((ack - raised).total_seconds() / 3600)
        if closed:
            disposed.append((closed - raised).total_seconds() / 3600)
        else:
            open_now += 1
    return {"flag_to_isolation": _hours(isolation), "alert_to_acknowledged": _hours(acknowledged),
            "alert_to_disposition": _hours(disposed), "alerts_open": open_now}
