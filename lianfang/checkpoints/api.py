import dataclasses
import datetime as dt
from uuid import UUID

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core import clock
from lianfang.core import selectors as core_selectors
from lianfang.core.selectors import org_filter
from lianfang.core.audit import Via, audit_list_view
from lianfang.core.errors import DomainError
from lianfang.core.models import User
from lianfang.registry import selectors as registry_selectors

from . import selectors, services
from .schemas import (
    AssignmentIn, BatchErrorOut, BatchIn, BatchOut, CardCheckOut, CardsForIn, CheckpointIn, CheckpointOut, CheckpointPatch, DutyNowOut,
    FiguresOut, HandoverIn, PassageIn, PassageOut, PassageResultOut, PassCardIn, PassCardOut, ReasonIn, ReferralCloseIn, ReferralOut,
    ShiftOut, ShiftPlanIn, StaffIn,
)

router = Router(tags=["checkpoints"])



def _checkpoint_kwargs(payload: CheckpointIn) -> dict:
    return payload.dict(exclude={"org", "is_active"})


# --- checkpoints ----------------------------------------------------------------------------

class CheckpointFilters(Schema):
    org: str = ""
    kind: str = ""
    q: str = ""


@router.get("/checkpoints", response=list[CheckpointOut])
@paginate(PageNumberPagination)
def checkpoint_list(request, filters: Query[CheckpointFilters]):
    return selectors.checkpoint_list(actor=request.user, org=org_filter(actor=request.user, code=filters.org), kind=filters.kind, q=filters.q)


@router.post("/checkpoints", response={201: CheckpointOut})
def checkpoint_create(request, payload: CheckpointIn):
    org = core_selectors.access_org_unit(actor=request.user, code=payload.org)
    checkpoint = services.checkpoint_create(actor=request.user, org=org, via=Via.from_request(request), **_checkpoint_kwargs(payload))
    return Status(201, checkpoint)


@router.get("/checkpoints/{uuid:uid}", response=CheckpointOut)
def checkpoint_detail(request, uid: UUID):
    return selectors.access_checkpoint(actor=request.user, uid=uid)


@router.put("/checkpoints/{uuid:uid}", response=CheckpointOut)
def checkpoint_update(request, uid: UUID, payload: CheckpointPatch):
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=uid)
    return services.checkpoint_update(actor=request.user, checkpoint=checkpoint, is_active=payload.is_active,
                                      via=Via.from_request(request), **_checkpoint_kwargs(payload))


@router.put("/checkpoints/{uuid:uid}/staff", response=list[str])
def checkpoint_staff_set(request, uid: UUID, payload: StaffIn):
    """Post checkpoint staff (by user name) to the gate; they then see only their gates."""
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=uid)
    users = list(User.objects.filter(username__in=payload.usernames).select_related("jurisdiction"))
    missing = set(payload.usernames) - {u.username for u in users}
    if missing:
        raise DomainError(_("Unknown user: %(names)s.") % {"names": ", ".join(sorted(missing))}, field="usernames")
    services.checkpoint_staff_set(actor=request.user, checkpoint=checkpoint, users=users, via=Via.from_request(request))
    return sorted(u.username for u in users)


@router.get("/checkpoints/{uuid:uid}/exits", response=list[CheckpointOut])
def circle_exits(request, uid: UUID):
    """The other gates of the same compound or closed circle."""
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=uid)
    return list(selectors.circle_exits(actor=request.user, org=checkpoint.org))


# --- rosters --------------------------------------------------------------------------------

class ShiftFilters(Schema):
    since: dt.date | None = None
    until: dt.date | None = None


@router.get("/checkpoints/{uuid:uid}/shifts", response=list[ShiftOut])
def shift_list(request, uid: UUID, filters: Query[ShiftFilters]):
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=uid)
    since = filters.since or clock.today()
    return list(selectors.shift_list(actor=request.user, checkpoint=checkpoint, since=since,
                                     until=filters.until or since + dt.timedelta(days=6)))


@router.post("/checkpoints/{uuid:uid}/shifts", response={201: list[ShiftOut]})
def shifts_plan(request, uid: UUID, payload: ShiftPlanIn):
    """Lay out the shifts of the coming days from the gate's pattern (days already planned are kept)."""
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=uid)
    shifts = services.shifts_plan(actor=request.user, checkpoint=checkpoint, start=payload.start, days=payload.days,
                                  via=Via.from_request(request))
    return Status(201, shifts)


@router.post("/shifts/{uuid:uid}/assignments", response={201: ShiftOut})
def duty_assign(request, uid: UUID, payload: AssignmentIn):
    shift = selectors.access_shift(actor=request.user, uid=uid)
    user = get_object_or_404(User, username=payload.username) if payload.username else None
    services.duty_assign(actor=request.user, shift=shift, name=payload.name, phone=payload.phone, kind=payload.kind, user=user,
                         via=Via.from_request(request))
    return Status(201, shift)


@router.delete("/shifts/{uuid:uid}/assignments/{assignment_id}", response={204: None})
def duty_unassign(request, uid: UUID, assignment_id: int):
    shift = selectors.access_shift(actor=request.user, uid=uid)
    assignment = get_object_or_404(shift.assignments, pk=assignment_id)
    services.duty_unassign(actor=request.user, assignment=assignment, via=Via.from_request(request))
    return Status(204, None)


@router.post("/shifts/{uuid:uid}/handover", response=ShiftOut)
def handover_record(request, uid: UUID, payload: HandoverIn):
    shift = selectors.access_shift(actor=request.user, uid=uid)
    return services.handover_record(actor=request.user, shift=shift, note=payload.note, via=Via.from_request(request))


@router.get("/duty-now", response=list[DutyNowOut])
def duty_board(request, org: str = ""):
    """Who is on duty now at every gate in service; `is_gap` where nobody is."""
    return [{"checkpoint": r.checkpoint.uid, "checkpoint_name": r.checkpoint.name, "shift": r.shift, "is_gap": r.is_gap}
            for r in selectors.duty_board(actor=request.user, org=org_filter(actor=request.user, code=org))]


# --- pass cards -----------------------------------------------------------------------------

class CardFilters(Schema):
    org: str = ""
    status: str = ""
    q: str = ""


@router.get("/pass-cards", response=list[PassCardOut])
@paginate(PageNumberPagination)
def pass_card_list(request, filters: Query[CardFilters]):
    return selectors.pass_card_list(actor=request.user, org=org_filter(actor=request.user, code=filters.org), status=filters.status, q=filters.q)


@router.post("/pass-cards", response={201: PassCardOut})
def pass_card_issue(request, payload: PassCardIn):
    household = registry_selectors.access_household(actor=request.user, uid=payload.household)
    resident = registry_selectors.access_resident(actor=request.user, uid=payload.resident) if payload.resident else None
    card = services.pass_card_issue(actor=request.user, household=household, resident=resident, via=Via.from_request(request))
    return Status(201, card)


@router.post("/pass-cards/issue-for", response={201: dict})
def pass_cards_issue_for(request, payload: CardsForIn):
    """A card for every household under a compound or building that has none."""
    org = core_selectors.access_org_unit(actor=request.user, code=payload.org)
    issued = services.pass_cards_issue_for(actor=request.user, org=org, via=Via.from_request(request))
    return Status(201, {"issued": issued})


@router.get("/pass-cards/check", response=CardCheckOut)
def pass_card_check(request, code: str):
    """What a gate sees after scanning: whose card, and whether they may go out."""
    found = selectors.pass_card_check(actor=request.user, code=code)
    return {"number": found.card.number, "status": found.card.status, "address": found.card.household.address,
            "members": [m.name for m in found.members], "quarantined": found.quarantined, "exit_blocked": found.exit_blocked}


@router.get("/pass-cards/{uuid:uid}", response=PassCardOut)
def pass_card_detail(request, uid: UUID):
    return selectors.access_pass_card(actor=request.user, uid=uid)


@router.post("/pass-cards/{uuid:uid}/revoke", response=PassCardOut)
def pass_card_revoke(request, uid: UUID, payload: ReasonIn):
    card = selectors.access_pass_card(actor=request.user, uid=uid)
    return services.pass_card_revoke(actor=request.user, card=card, reason=payload.reason, via=Via.from_request(request))


@router.post("/pass-cards/{uuid:uid}/reissue", response={201: PassCardOut})
def pass_card_reissue(request, uid: UUID, payload: ReasonIn):
    """Revoke a lost or damaged card and issue the replacement (a new code)."""
    card = selectors.access_pass_card(actor=request.user, uid=uid)
    new = services.pass_card_reissue(actor=request.user, card=card, reason=payload.reason, via=Via.from_request(request))
    return Status(201, new)


# --- passages -------------------------------------------------------------------------------

def _draft(record: PassageIn) -> services.PassageDraft:
    return services.PassageDraft(**record.dict())


def _result(result: services.PassageResult) -> dict:
    p = result.passage
    return {"uid": p.uid, "created": result.created, "outcome": p.outcome, "is_fever": p.is_fever, "is_breach": p.is_breach,
            "notes": [str(n) for n in result.notes], "name": p.name, "plate": p.plate, "direction": p.direction,
            "temperature": p.temperature, "at": p.at}


@router.post("/passages", response={201: PassageResultOut, 200: PassageResultOut})
def passage_record(request, payload: PassageIn):
    """One passage. Idempotent by `uid`: the same record again answers 200 with created=false."""
    result = services.passage_record(actor=request.user, draft=_draft(payload), via=Via.from_request(request))
    return Status(201 if result.created else 200, _result(result))


@router.post("/passages/batch", response={200: BatchOut, 422: BatchErrorOut})
def passages_record_batch(request, payload: BatchIn):
    """A gate's offline queue, up to 500 records. All or nothing: one bad record refuses the
    batch (422, every error listed by position) and stores none. Records already stored (a
    replay) are answered with created=false."""
    try:
        results = services.passages_record(actor=request.user, drafts=[_draft(r) for r in payload.records],
                                           via=Via.from_request(request))
    except services.BatchInvalid as e:
        return Status(422, {"detail": str(e.message), "code": e.code, "errors": [dataclasses.asdict(x) for x in e.errors]})
    stored = sum(1 for r in results if r.created)
    return Status(200, {"stored": stored, "replayed": len(results) - stored, "results": [_result(r) for r in results]})


class PassageFilters(Schema):
    checkpoint: UUID | None = None
    org: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    direction: str = ""
    outcome: str = ""
    visitors: bool = False
    breaches: bool = False
    q: str = ""


def _passages(request, filters: PassageFilters):
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=filters.checkpoint) if filters.checkpoint else None
    return selectors.passage_list(actor=request.user, checkpoint=checkpoint, org=org_filter(actor=request.user, code=filters.org), since=filters.since,
                                  until=filters.until, direction=filters.direction, outcome=filters.outcome,
                                  visitors=filters.visitors, breaches=filters.breaches, q=filters.q)


@router.get("/passages", response=list[PassageOut])
@paginate(PageNumberPagination)
def passage_list(request, filters: Query[PassageFilters]):
    """The ledger of registrations (实名登记台账), masked; reading it is audited."""
    audit_list_view(actor=request.user, object_type="passage_ledger", via=Via.from_request(request),
                    filters=filters.dict(), page=int(request.GET.get("page", 1) or 1))
    return _passages(request, filters)


class FigureFilters(Schema):
    checkpoint: UUID | None = None
    org: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


@router.get("/passages/figures", response=FiguresOut)
def passage_figures(request, filters: Query[FigureFilters]):
    """Per gate and day, per community, per day, and the busiest hours. Default: the last 7 days."""
    since, until = selectors.figures_period(since=filters.since, until=filters.until)
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=filters.checkpoint) if filters.checkpoint else None
    figures = selectors.passage_figures(actor=request.user, since=since, until=until, org=org_filter(actor=request.user, code=filters.org),
                                        checkpoint=checkpoint)
    return {
        "since": since, "until": until, "totals": figures.totals, "hours": figures.hours,
        "by_day": figures.by_day,
        "by_community": [{**r, "community": r["community"].code if r["community"] else None,
                          "community_name": r["community"].name if r["community"] else ""} for r in figures.by_community],
        "by_checkpoint_day": [{**r, "checkpoint": r["checkpoint"].uid, "checkpoint_name": r["checkpoint"].name}
                              for r in figures.by_checkpoint_day],
    }


# --- referrals ------------------------------------------------------------------------------

@router.get("/referrals", response=list[ReferralOut])
@paginate(PageNumberPagination)
def referral_list(request, status: str = "", org: str = "", open_only: bool = False):
    return selectors.referral_list(actor=request.user, org=org_filter(actor=request.user, code=org), status=status, open_only=open_only)


@router.post("/referrals/{uuid:uid}/acknowledge", response=ReferralOut)
def referral_acknowledge(request, uid: UUID):
    referral = selectors.access_referral(actor=request.user, uid=uid)
    return services.referral_acknowledge(actor=request.user, referral=referral, via=Via.from_request(request))


@router.post("/referrals/{uuid:uid}/close", response=ReferralOut)
def referral_close(request, uid: UUID, payload: ReferralCloseIn):
    referral = selectors.access_referral(actor=request.user, uid=uid)
    return services.referral_close(actor=request.user, referral=referral, disposition=payload.disposition, outcome=payload.outcome,
                                   via=Via.from_request(request))
