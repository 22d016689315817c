from uuid import UUID

from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core import selectors as core_selectors
from lianfang.core.selectors import org_filter
from lianfang.core.audit import Via, audit_list_view, audit_view
from lianfang.core.schemas import RevealOut
from lianfang.core.services import pii_reveal

from . import selectors, services
from .schemas import HouseholdIn, HouseholdOut, HouseholdPatch, ResidentCreated, ResidentIn, ResidentOut, ResidentPatch

router = Router(tags=["registry"])


class HouseholdFilters(Schema):
    q: str = ""
    org: str = ""


class ResidentFilters(Schema):
    q: str = ""
    org: str = ""
    residence_type: str = ""
    sex: str = ""



@router.get("/households", response=list[HouseholdOut])
@paginate(PageNumberPagination)
def household_list(request, filters: Query[HouseholdFilters]):
    return selectors.household_list(actor=request.user, q=filters.q, org=org_filter(actor=request.user, code=filters.org))


@router.get("/households/{uid}", response=HouseholdOut)
def household_get(request, uid: UUID):
    return selectors.access_household(actor=request.user, uid=uid)


@router.post("/households", response={201: HouseholdOut})
def household_create(request, payload: HouseholdIn):
    data = payload.dict()
    org = core_selectors.access_org_unit(actor=request.user, code=data.pop("org_code"))
    return Status(201, services.household_create(actor=request.user, org=org, via=Via.from_request(request), **data))


@router.patch("/households/{uid}", response=HouseholdOut)
def household_update(request, uid: UUID, payload: HouseholdPatch):
    household = selectors.access_household(actor=request.user, uid=uid)
    patch = payload.dict(exclude_unset=True)
    org = org_filter(actor=request.user, code=patch.pop("org_code", None) or "")
    current = {"address": household.address, "room": household.room, "phone": household.phone, "notes": household.notes}
    return services.household_update(actor=request.user, household=household, org=org, via=Via.from_request(request),
                                     **{**current, **{k: v for k, v in patch.items() if v is not None}})


@router.delete("/households/{uid}", response={204: None})
def household_remove(request, uid: UUID):
    """Only an empty household (registered by mistake) can be removed."""
    household = selectors.access_household(actor=request.user, uid=uid)
    services.household_remove(actor=request.user, household=household, via=Via.from_request(request))
    return Status(204, None)


@router.get("/residents", response=list[ResidentOut])
@paginate(PageNumberPagination)
def resident_list(request, filters: Query[ResidentFilters]):
    audit_list_view(actor=request.user, object_type="resident_list", via=Via.from_request(request),
                    filters=filters.dict(), page=int(request.GET.get("page", 1) or 1))
    return selectors.resident_list(actor=request.user, q=filters.q, org=org_filter(actor=request.user, code=filters.org),
                                   residence_type=filters.residence_type, sex=filters.sex)


@router.get("/residents/{uid}", response=ResidentOut)
def resident_get(request, uid: UUID):
    resident = selectors.access_resident(actor=request.user, uid=uid)
    audit_view(actor=request.user, record=resident, object_type="resident", via=Via.from_request(request))
    return resident


@router.post("/residents", response={200: ResidentCreated, 201: ResidentCreated})
def resident_register(request, payload: ResidentIn):
    """Registers a person. A known ID number returns the existing person with `created: false` (200)."""
    data = payload.dict()
    household = selectors.access_household(actor=request.user, uid=data.pop("household_uid"))
    resident, created = services.resident_register(actor=request.user, household=household, via=Via.from_request(request), **data)
    resident.created = created
    return Status(201 if created else 200, resident)


@router.patch("/residents/{uid}", response=ResidentOut)
def resident_update(request, uid: UUID, payload: ResidentPatch):
    resident = selectors.access_resident(actor=request.user, uid=uid)
    patch = payload.dict(exclude_unset=True)
    household_uid = patch.pop("household_uid", None)
    household = selectors.access_household(actor=request.user, uid=household_uid) if household_uid else None
    current = {f: getattr(resident, f) for f in services.RESIDENT_FIELDS}
    current["id_number"] = current["id_number"] or ""
    return services.resident_update(actor=request.user, resident=resident, household=household, via=Via.from_request(request),
                                    **{**current, **{k: v for k, v in patch.items() if v is not None}})


@router.post("/residents/{uid}/reveal/{field}", response=RevealOut)
def resident_reveal(request, uid: UUID, field: str):
    """The full ID number or phone, for roles allowed to see it. Every call is audited."""
    resident = selectors.access_resident(actor=request.user, uid=uid)
    value = pii_reveal(actor=request.user, record=resident, field=field, object_type="resident", via=Via.from_request(request))
    return {"field": field, "value": value}
