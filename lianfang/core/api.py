from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from . import selectors, services
from .audit import Via
from .figures import figures_for
from .schemas import OrgUnitDetailOut, OrgUnitIn, OrgUnitOut, OrgUnitPatch, ResponsiblePersonIn, ResponsiblePersonOut

router = Router(tags=["jurisdiction"])


class OrgUnitFilters(Schema):
    level: str = ""
    q: str = ""
    parent: str = ""


@router.get("/org-units", response=list[OrgUnitOut])
@paginate(PageNumberPagination, page_size=100)
def org_unit_list(request, filters: Query[OrgUnitFilters]):
    parent = selectors.access_org_unit(actor=request.user, code=filters.parent) if filters.parent else None
    return selectors.org_unit_list(actor=request.user, level=filters.level, q=filters.q, parent=parent).select_related("parent")


@router.get("/org-units/{code}", response=OrgUnitDetailOut)
def org_unit_get(request, code: str):
    node = selectors.access_org_unit(actor=request.user, code=code)
    node.figures = {name: values[node.path] for name, values in figures_for(paths=[node.path], parent_path=node.path).items()}
    return node


@router.post("/org-units", response={201: OrgUnitOut})
def org_unit_create(request, payload: OrgUnitIn):
    parent = selectors.access_org_unit(actor=request.user, code=payload.parent_code)
    return Status(201, services.org_unit_create(actor=request.user, parent=parent, name=payload.name, level=payload.level, code=payload.code))


@router.patch("/org-units/{code}", response=OrgUnitOut)
def org_unit_update(request, code: str, payload: OrgUnitPatch):
    node = selectors.access_org_unit(actor=request.user, code=code)
    return services.org_unit_update(actor=request.user, org_unit=node, **payload.dict(exclude_unset=True))


@router.get("/org-units/{code}/responsible-people", response=list[ResponsiblePersonOut])
def responsible_person_list(request, code: str):
    node = selectors.access_org_unit(actor=request.user, code=code)
    return selectors.responsible_person_list(actor=request.user, org_unit=node)


@router.post("/org-units/{code}/responsible-people", response={201: ResponsiblePersonOut})
def responsible_person_add(request, code: str, payload: ResponsiblePersonIn):
    node = selectors.access_org_unit(actor=request.user, code=code)
    return Status(201, services.responsible_person_add(actor=request.user, org_unit=node, via=Via.from_request(request), **payload.dict()))
