from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view

from . import selectors
from .schemas import KeyPersonOut

router = Router(tags=["key persons"])


class KeyPersonFilters(Schema):
    org: str = ""
    category: str = ""
    source: str = ""
    status: str = ""


@router.get("/key-persons", response=list[KeyPersonOut])
@paginate(PageNumberPagination)
def key_person_list(request, filters: Query[KeyPersonFilters]):
    audit_list_view(actor=request.user, object_type="key_person", via=Via.from_request(request), filters=filters.dict(),
                    page=int(request.GET.get("page", 1) or 1))
    org = core_selectors.access_org_unit(actor=request.user, code=filters.org) if filters.org else None
    return selectors.key_person_list(actor=request.user, org=org, category=filters.category, source=filters.source, status=filters.status)
