from uuid import UUID

from django.db.models import prefetch_related_objects
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view
from lianfang.core.errors import DomainError

from . import selectors, services
from .exports import ledger_export
from .schemas import (
    CandidateOut, ConfirmIn, CoverageOut, DismissIn, RoundIn, RoundOut, RoundPatch, VisitIn, VisitOut, WorkItemOut, WorkLogOut,
)

router = Router(tags=["screening"])


class NodeFilter(Schema):
    org: str = ""


class WorkLogFilter(NodeFilter):
    level: str = "grid"
    since: str = ""
    until: str = ""


class CandidateFilter(NodeFilter):
    status: str = ""


def _round_and_org(request, uid: UUID, org_code: str):
    screening_round = selectors.access_round(actor=request.user, uid=uid)
    org = core_selectors.access_org_unit(actor=request.user, code=org_code) if org_code else None
    return screening_round, org


@router.get("/screening/rounds", response=list[RoundOut])
@paginate(PageNumberPagination)
def round_list(request, status: str = ""):
    return selectors.round_list(actor=request.user, status=status)


@router.post("/screening/rounds", response={201: RoundOut})
def round_open(request, payload: RoundIn):
    data = payload.dict()
    scope = core_selectors.access_org_unit(actor=request.user, code=data.pop("scope_code"))
    return Status(201, services.screening_round_open(actor=request.user, scope=scope, via=Via.from_request(request), **data))


@router.get("/screening/rounds/{uid}", response=RoundOut)
def round_get(request, uid: UUID):
    return selectors.access_round(actor=request.user, uid=uid)


@router.patch("/screening/rounds/{uid}", response=RoundOut)
def round_update(request, uid: UUID, payload: RoundPatch):
    """Change the criteria or period; `status` closes ("closed") or reopens ("open") the round."""
    screening_round = selectors.access_round(actor=request.user, uid=uid)
    patch = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    status = patch.pop("status", None)
    via = Via.from_request(request)
    if patch:
        current = {f: getattr(screening_round, f) for f in services.ROUND_FIELDS}
        screening_round = services.screening_round_update(actor=request.user, screening_round=screening_round, via=via, **{**current, **patch})
    if status and status != screening_round.status:
        screening_round = services.screening_round_transition(actor=request.user, screening_round=screening_round, status=status, via=via)
    return screening_round


@router.get("/screening/rounds/{uid}/work-list", response=list[WorkItemOut])
@paginate(PageNumberPagination)
def work_list(request, uid: UUID, filters: Query[NodeFilter]):
    """Households still owed a visit: revisits due first, then by building, unit and room."""
    screening_round, org = _round_and_org(request, uid, filters.org)
    return selectors.work_list(actor=request.user, screening_round=screening_round, org=org)


@router.get("/screening/rounds/{uid}/coverage", response=CoverageOut)
def coverage(request, uid: UUID, filters: Query[NodeFilter]):
    screening_round, org = _round_and_org(request, uid, filters.org)
    total, rows = selectors.coverage(actor=request.user, screening_round=screening_round, org=org)
    return {"total": total, "children": rows}


@router.get("/screening/rounds/{uid}/work-log", response=list[WorkLogOut])
def work_log(request, uid: UUID, filters: Query[WorkLogFilter]):
    screening_round, org = _round_and_org(request, uid, filters.org)
    if filters.level not in selectors.WORK_LOG_LEVELS:
        raise DomainError(_("The level is street, community or grid."), field="level")
    try:
        since, until = (parse_date(d) if d else None for d in (filters.since, filters.until))
    except ValueError:
        raise DomainError(_("Dates are written 2020-01-23."), field="since")
    return selectors.work_log(actor=request.user, screening_round=screening_round, org=org, level=filters.level, since=since, until=until)


@router.get("/screening/rounds/{uid}/ledger.xlsx", response={200: None})
def ledger(request, uid: UUID, filters: Query[NodeFilter]):
    """The round's 摸排台账 (.xlsx, one masked row per person of the node), as on the page."""
    screening_round, org = _round_and_org(request, uid, filters.org)
    base = selectors.round_base(actor=request.user, screening_round=screening_round, org=org)
    return ledger_export(actor=request.user, screening_round=screening_round, base=base, via=Via.from_request(request))


@router.get("/screening/rounds/{uid}/visits", response=list[VisitOut])
@paginate(PageNumberPagination)
def visit_list(request, uid: UUID, filters: Query[NodeFilter]):
    screening_round, org = _round_and_org(request, uid, filters.org)
    audit_list_view(actor=request.user, object_type="screening_visit", via=Via.from_request(request),
                    filters={"round": str(uid), **filters.dict()}, page=int(request.GET.get("page", 1) or 1))
    return selectors.visit_list(actor=request.user, screening_round=screening_round, org=org).prefetch_related("person_checks__resident")


@router.post("/screening/rounds/{uid}/visits", response={200: VisitOut, 201: VisitOut})
def visit_record(request, uid: UUID, payload: VisitIn):
    """Record a visit. The client generates `uid`: sending the same visit again (after a lost
    answer, from an offline queue) returns the visit already recorded with 200 and
    `created: false`; nothing is written twice."""
    screening_round = selectors.access_round(actor=request.user, uid=uid)
    household = selectors.access_household(actor=request.user, screening_round=screening_round, uid=payload.household_uid)
    members = {r.uid: r for r in household.residents.all()}
    checks = []
    for check in payload.checks:
        data = check.dict()
        resident_uid, new_person = data.pop("resident_uid"), data.pop("new_person")
        if (resident_uid is None) == (new_person is None):
            raise DomainError(_("Each check names either resident_uid or new_person."), field="checks")
        if resident_uid is not None and resident_uid not in members:
            raise DomainError(_("That person is not registered in this household; add them as a new person."), field="checks")
        data["travel"] = [{"place": t.place, "from": t.from_, "to": t.to, "transit": t.transit} for t in check.travel]
        checks.append(services.CheckIn(resident=members.get(resident_uid), new_person=new_person, **data))
    visit, created = services.screening_visit_record(
        actor=request.user, screening_round=screening_round, household=household, uid=payload.uid, method=payload.method,
        result=payload.result, visited_at=payload.visited_at, revisit_due=payload.revisit_due, notes=payload.notes,
        checks=checks, via=Via.from_request(request),
    )
    prefetch_related_objects([visit], "person_checks__resident")  # the answer lists the checks: no query per person
    visit.created = created
    return Status(201 if created else 200, visit)


@router.get("/screening/rounds/{uid}/candidates", response=list[CandidateOut])
@paginate(PageNumberPagination)
def candidate_list(request, uid: UUID, filters: Query[CandidateFilter]):
    screening_round, org = _round_and_org(request, uid, filters.org)
    audit_list_view(actor=request.user, object_type="key_person_candidate", via=Via.from_request(request),
                    filters={"round": str(uid), **filters.dict()}, page=int(request.GET.get("page", 1) or 1))
    return selectors.candidate_list(actor=request.user, screening_round=screening_round, org=org, status=filters.status)


@router.post("/screening/candidates/{uid}/confirm", response=CandidateOut)
def candidate_confirm(request, uid: UUID, payload: ConfirmIn):
    """Confirm as key person: creates the key-person record (source: screening)."""
    check = selectors.access_check(actor=request.user, uid=uid)
    return services.candidate_confirm(actor=request.user, check=check, category=payload.category, via=Via.from_request(request))


@router.post("/screening/candidates/{uid}/dismiss", response=CandidateOut)
def candidate_dismiss(request, uid: UUID, payload: DismissIn):
    check = selectors.access_check(actor=request.user, uid=uid)
    return services.candidate_dismiss(actor=request.user, check=check, reason=payload.reason, via=Via.from_request(request))
