from uuid import UUID

from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core.selectors import org_filter
from lianfang.core.audit import Via, audit_list_view, audit_view
from lianfang.registry import selectors as registry_selectors

from . import selectors, services
from .schemas import (
    CaseIn,
    CaseOut,
    CasePatch,
    ChainOut,
    ClassificationChangeOut,
    ClassifyIn,
    ContactCreated,
    ContactIn,
    ContactOut,
    HandOverIn,
    ToCaseIn,
    TrajectoryIn,
    TrajectoryOut,
)

router = Router(tags=["cases and contacts"])


class CaseFilters(Schema):
    org: str = ""
    classification: str = ""
    status: str = ""
    cluster: str = ""
    q: str = ""


class ContactFilters(Schema):
    org: str = ""
    case: UUID | None = None
    kind: str = ""
    status: str = ""
    setting: str = ""
    q: str = ""


class ChainFilters(Schema):
    org: str = ""
    cluster: str = ""
    min_cases: int = 1
    limit: int | None = 200
    include_excluded: bool = False



def _page(request) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() else 1


@router.get("/tracing/cases", response=list[CaseOut])
@paginate(PageNumberPagination)
def case_list(request, filters: Query[CaseFilters]):
    audit_list_view(actor=request.user, object_type="case", via=Via.from_request(request), filters=filters.dict(), page=_page(request))
    data = filters.dict()
    return selectors.case_list(actor=request.user, org=org_filter(actor=request.user, code=data.pop("org")), **data)


@router.post("/tracing/cases", response={201: CaseOut})
def case_register(request, payload: CaseIn):
    data = payload.dict()
    resident_uid, org_code, source_uid = data.pop("resident_uid"), data.pop("org_code"), data.pop("infected_by_uid")
    resident = registry_selectors.access_resident(actor=request.user, uid=resident_uid) if resident_uid else None
    source = selectors.access_case(actor=request.user, uid=source_uid) if source_uid else None
    return Status(201, services.case_register(actor=request.user, org=org_filter(actor=request.user, code=org_code), resident=resident, infected_by=source,
                                              via=Via.from_request(request), **data))


@router.get("/tracing/cases/{uid}", response=CaseOut)
def case_get(request, uid: UUID):
    case = selectors.access_case(actor=request.user, uid=uid)
    audit_view(actor=request.user, record=case, object_type="case", via=Via.from_request(request))
    return case


@router.patch("/tracing/cases/{uid}", response=CaseOut)
def case_update(request, uid: UUID, payload: CasePatch):
    case = selectors.access_case(actor=request.user, uid=uid)
    patch = payload.dict(exclude_unset=True)
    extra = {}
    if "infected_by_uid" in patch:
        source_uid = patch.pop("infected_by_uid")
        extra["infected_by"] = selectors.access_case(actor=request.user, uid=source_uid) if source_uid else None
    patch = {k: v for k, v in patch.items() if v is not None or k in ("onset_date", "confirmed_on")}
    return services.case_update(actor=request.user, case=case, via=Via.from_request(request), **patch, **extra)


@router.post("/tracing/cases/{uid}/classification", response=CaseOut)
def case_classify(request, uid: UUID, payload: ClassifyIn):
    case = selectors.access_case(actor=request.user, uid=uid)
    return services.case_classify(actor=request.user, case=case, via=Via.from_request(request), **payload.dict())


@router.get("/tracing/cases/{uid}/classification", response=list[ClassificationChangeOut])
def case_history(request, uid: UUID):
    return selectors.case_history(case=selectors.access_case(actor=request.user, uid=uid))


@router.get("/tracing/cases/{uid}/trajectory", response=list[TrajectoryOut])
def trajectory_list(request, uid: UUID):
    return selectors.case_trajectory(case=selectors.access_case(actor=request.user, uid=uid))


@router.post("/tracing/cases/{uid}/trajectory", response={201: TrajectoryOut})
def trajectory_add(request, uid: UUID, payload: TrajectoryIn):
    case = selectors.access_case(actor=request.user, uid=uid)
    return Status(201, services.trajectory_add(actor=request.user, case=case, via=Via.from_request(request), **payload.dict()))


@router.delete("/tracing/cases/{uid}/trajectory/{entry_id}", response={204: None})
def trajectory_remove(request, uid: UUID, entry_id: int):
    case = selectors.access_case(actor=request.user, uid=uid)
    entry = selectors.access_trajectory_entry(case=case, entry_id=entry_id)
    services.trajectory_remove(actor=request.user, entry=entry, via=Via.from_request(request))
    return Status(204, None)


@router.get("/tracing/contacts", response=list[ContactOut])
@paginate(PageNumberPagination)
def contact_list(request, filters: Query[ContactFilters]):
    audit_list_view(actor=request.user, object_type="case_contact", via=Via.from_request(request),
                    filters={k: str(v) for k, v in filters.dict().items() if v}, page=_page(request))
    data = filters.dict()
    case = selectors.access_case(actor=request.user, uid=data.pop("case")) if data["case"] else None
    data.pop("case", None)
    return selectors.contact_list(actor=request.user, org=org_filter(actor=request.user, code=data.pop("org")), case=case, **data)


@router.post("/tracing/cases/{uid}/contacts", response={200: ContactCreated, 201: ContactCreated})
def contact_add(request, uid: UUID, payload: ContactIn):
    """A resident of the caller's area becomes a key person with a quarantine order at once; the
    same person again, or the same client uid, answers 200 with the contact already recorded."""
    case = selectors.access_case(actor=request.user, uid=uid)
    data = payload.dict()
    resident_uid, via_uid = data.pop("resident_uid"), data.pop("via_contact_uid")
    resident = registry_selectors.access_resident(actor=request.user, uid=resident_uid) if resident_uid else None
    via_contact = selectors.access_contact(actor=request.user, uid=via_uid) if via_uid else None
    contact, created = services.contact_add(actor=request.user, case=case, resident=resident, via_contact=via_contact,
                                            via=Via.from_request(request), **data)
    contact.created = created
    return Status(201 if created else 200, contact)


@router.get("/tracing/contacts/{uid}", response=ContactOut)
def contact_get(request, uid: UUID):
    contact = selectors.access_contact(actor=request.user, uid=uid)
    audit_view(actor=request.user, record=contact, object_type="case_contact", via=Via.from_request(request))
    return contact


@router.post("/tracing/contacts/{uid}/hand-over", response=ContactOut)
def contact_hand_over(request, uid: UUID, payload: HandOverIn):
    contact = selectors.access_contact(actor=request.user, uid=uid)
    return services.contact_hand_over(actor=request.user, contact=contact, via=Via.from_request(request), **payload.dict())


@router.post("/tracing/contacts/{uid}/case", response={201: CaseOut})
def contact_to_case(request, uid: UUID, payload: ToCaseIn):
    contact = selectors.access_contact(actor=request.user, uid=uid)
    return Status(201, services.contact_to_case(actor=request.user, contact=contact, via=Via.from_request(request), **payload.dict()))


def _chains(request, filters: ChainFilters):
    data = filters.dict()
    audit_list_view(actor=request.user, object_type="case_chain", via=Via.from_request(request), filters=data, page=1)
    return selectors.chain_list(actor=request.user, org=org_filter(actor=request.user, code=data.pop("org")), **data)


@router.get("/tracing/chains", response=list[ChainOut])
def chain_list(request, filters: Query[ChainFilters]):
    """Transmission chains, largest first: the cases of each and its "infected by" links."""
    out = []
    for rank, chain in enumerate(_chains(request, filters), start=1):
        uid_of = {c.id: c.uid for c in chain.cases}
        out.append({"rank": rank, "root_uid": chain.root.uid, "root_name": chain.root.name, "cases": chain.size,
                    "contacts": len(chain.contacts), "case_uids": [c.uid for c in chain.cases],
                    "links": [[uid_of[i], uid_of[p]] for i, p in chain.parent_of.items() if p is not None]})
    return out


@router.get("/tracing/chains/figure", response=dict)
def chain_figure(request, filters: Query[ChainFilters]):
    """The plotly figure (data and layout) of the chains, laid out on the server."""
    return selectors.chain_figure(actor=request.user, chains=_chains(request, filters))
