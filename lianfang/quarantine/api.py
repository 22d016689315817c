import datetime as dt
from uuid import UUID

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core import clock
from lianfang.core import selectors as core_selectors
from lianfang.core.selectors import org_filter
from lianfang.core.audit import Via, audit_list_view, audit_view
from lianfang.core.errors import DomainError

from . import selectors, services, site_selectors
from .policy import policy_for
from .schemas import (
    AlertCloseIn, AlertOut, CadresIn, CheckCreated, CheckIn, CheckOut, ConditionOut, EndIn, ExtendIn, FollowUpPage, KeyPersonFileOut,
    KeyPersonOut, OrderIn, OrderOut, PolicyIO, ReleaseIn, SpotCheckIn, SpotCheckOut, SupportCloseIn, SupportIn, SupportOut,
)

router = Router(tags=["key persons and quarantine"])


class NodeFilter(Schema):
    org: str = ""
    mine: bool = False


class KeyPersonFilters(NodeFilter):
    category: str = ""
    source: str = ""
    status: str = ""



def _audit_list(request, object_type: str, filters: Schema):
    audit_list_view(actor=request.user, object_type=object_type, via=Via.from_request(request), filters=filters.dict(),
                    page=int(request.GET.get("page", 1) or 1))


@router.get("/key-persons", response=list[KeyPersonOut])
@paginate(PageNumberPagination)
def key_person_list(request, filters: Query[KeyPersonFilters]):
    _audit_list(request, "key_person", filters)
    return selectors.key_person_list(actor=request.user, org=org_filter(actor=request.user, code=filters.org), category=filters.category,
                                     source=filters.source, status=filters.status, mine=filters.mine)


@router.get("/key-persons/{uid}", response=KeyPersonFileOut)
def key_person_file(request, uid: UUID):
    """One file per person (建档立卡): the record, its history and its orders."""
    person = selectors.access_key_person(actor=request.user, uid=uid)
    audit_view(actor=request.user, record=person, object_type="key_person", via=Via.from_request(request))
    return person


# --- orders ---------------------------------------------------------------------------------

class OrderFilters(NodeFilter):
    status: str = ""
    kind: str = ""


@router.get("/quarantine/orders", response=list[OrderOut])
@paginate(PageNumberPagination)
def order_list(request, filters: Query[OrderFilters]):
    _audit_list(request, "quarantine_order", filters)
    return selectors.order_list(actor=request.user, org=org_filter(actor=request.user, code=filters.org), status=filters.status, kind=filters.kind,
                                mine=filters.mine)


@router.post("/quarantine/orders", response={201: OrderOut})
def order_start(request, payload: OrderIn):
    person = selectors.access_key_person(actor=request.user, uid=payload.key_person_uid)
    room = None
    if payload.site_uid:
        site = site_selectors.access_site(actor=request.user, uid=payload.site_uid)
        room = site.rooms.select_related("site").filter(number=payload.room_number.strip()).first()  # beds: room_hold
        if room is None:
            raise DomainError(_("Site %(site)s has no room %(room)s.") % {"site": site.name, "room": payload.room_number}, field="room_number")
    order = services.quarantine_order_start(
        actor=request.user, key_person=person, kind=payload.kind, start_date=payload.start_date, days=payload.days,
        scheme=payload.scheme, cadres=services.cadres_resolve(actor=request.user, cadres=[c.dict() for c in payload.cadres]), room=room,
        reason=payload.reason, via=Via.from_request(request))
    return Status(201, selectors.access_order(actor=request.user, uid=order.uid))


@router.get("/quarantine/orders/{uid}", response=OrderOut)
def order_get(request, uid: UUID):
    order = selectors.access_order(actor=request.user, uid=uid)
    audit_view(actor=request.user, record=order, object_type="quarantine_order", via=Via.from_request(request))
    return order


@router.put("/quarantine/orders/{uid}/cadres", response=OrderOut)
def order_cadres(request, uid: UUID, payload: CadresIn):
    order = selectors.access_order(actor=request.user, uid=uid)
    services.order_cadres_assign(actor=request.user, order=order, scheme=payload.scheme, via=Via.from_request(request),
                                 cadres=services.cadres_resolve(actor=request.user, cadres=[c.dict() for c in payload.cadres]))
    return selectors.access_order(actor=request.user, uid=uid)


@router.post("/quarantine/orders/{uid}/extend", response=OrderOut)
def order_extend(request, uid: UUID, payload: ExtendIn):
    order = selectors.access_order(actor=request.user, uid=uid)
    services.quarantine_order_extend(actor=request.user, order=order, days=payload.days, reason=payload.reason, via=Via.from_request(request))
    return selectors.access_order(actor=request.user, uid=uid)


@router.get("/quarantine/orders/{uid}/release-conditions", response=list[ConditionOut])
def order_release_conditions(request, uid: UUID):
    return services.release_conditions(order=selectors.access_order(actor=request.user, uid=uid))


@router.post("/quarantine/orders/{uid}/release", response=OrderOut)
def order_release(request, uid: UUID, payload: ReleaseIn):
    order = selectors.access_order(actor=request.user, uid=uid)
    services.quarantine_order_release(actor=request.user, order=order, early=payload.early, reason=payload.reason, via=Via.from_request(request))
    return selectors.access_order(actor=request.user, uid=uid)


@router.post("/quarantine/orders/{uid}/end", response=OrderOut)
def order_end(request, uid: UUID, payload: EndIn):
    order = selectors.access_order(actor=request.user, uid=uid)
    services.quarantine_order_end(actor=request.user, order=order, status=payload.status, reason=payload.reason, via=Via.from_request(request))
    return selectors.access_order(actor=request.user, uid=uid)


@router.post("/quarantine/orders/{uid}/notice-signed", response=OrderOut)
def order_notice_signed(request, uid: UUID):
    order = selectors.access_order(actor=request.user, uid=uid)
    return services.notice_mark_signed(actor=request.user, order=order, via=Via.from_request(request))


@router.get("/quarantine/orders/{uid}/notice.pdf", response={200: None})
def order_notice_pdf(request, uid: UUID):
    """The medical observation notice (PDF, Chinese) to print and sign at the door."""
    from .notice import notice_pdf

    order = selectors.access_order(actor=request.user, uid=uid)
    pdf = notice_pdf(order=order)
    audit_view(actor=request.user, record=order, object_type="quarantine_order", via=Via.from_request(request))
    return HttpResponse(pdf, content_type="application/pdf")


# --- health checks and follow-ups -----------------------------------------------------------

@router.get("/quarantine/orders/{uid}/checks", response=list[CheckOut])
@paginate(PageNumberPagination)
def check_list(request, uid: UUID):
    return selectors.order_checks(order=selectors.access_order(actor=request.user, uid=uid)).select_related("order")


@router.post("/quarantine/orders/{uid}/checks", response={201: CheckCreated, 200: CheckCreated})
def check_record(request, uid: UUID, payload: CheckIn):
    """Record a health check. Idempotent: the same `uid` again answers 200 with `created: false`."""
    order = selectors.access_order(actor=request.user, uid=uid)
    check, created = services.health_check_record(actor=request.user, order=order, via=Via.from_request(request), **payload.dict())
    alert = selectors.check_alert(check=check)
    check.created, check.alert_uid = created, alert.uid if alert else None
    return Status(201 if created else 200, check)


class FollowUpFilters(NodeFilter):
    state: str = ""
    cadre: str = ""
    page: int = 1


@router.get("/quarantine/follow-ups", response=FollowUpPage)
def follow_up_list(request, filters: Query[FollowUpFilters]):
    """Today's checks, live from the orders: overdue first, then due now, upcoming and done."""
    rows, counts, day = selectors.followup_list(actor=request.user, org=org_filter(actor=request.user, code=filters.org), mine=filters.mine,
                                                cadre_user_id=services.cadre_user_for(actor=request.user, username=filters.cadre).pk if filters.cadre else None,
                                                state=filters.state)
    page = selectors.followup_page(rows, counts, day, number=filters.page, per_page=100, state=filters.state, with_cadres=True)
    _audit_list(request, "quarantine_order", filters)
    return {"day": day.day, "now": day.now, "counts": {k: v for k, v in counts.items() if isinstance(v, int)},
            "count": page.paginator.count, "items": list(selectors.followup_rows(page.object_list, day))}


# --- alerts ---------------------------------------------------------------------------------

class AlertFilters(NodeFilter):
    status: str = ""
    kind: str = ""


@router.get("/quarantine/alerts", response=list[AlertOut])
@paginate(PageNumberPagination)
def alert_list(request, filters: Query[AlertFilters]):
    _audit_list(request, "alert", filters)
    return selectors.alert_list(actor=request.user, org=org_filter(actor=request.user, code=filters.org), status=filters.status, kind=filters.kind,
                                mine=filters.mine)


@router.post("/quarantine/alerts/{uid}/acknowledge", response=AlertOut)
def alert_acknowledge(request, uid: UUID):
    alert = selectors.access_alert(actor=request.user, uid=uid)
    services.alert_acknowledge(actor=request.user, alert=alert, via=Via.from_request(request))
    return selectors.access_alert(actor=request.user, uid=uid)


@router.post("/quarantine/alerts/{uid}/close", response=AlertOut)
def alert_close(request, uid: UUID, payload: AlertCloseIn):
    alert = selectors.access_alert(actor=request.user, uid=uid)
    services.alert_close(actor=request.user, alert=alert, disposition=payload.disposition, outcome=payload.outcome, via=Via.from_request(request))
    return selectors.access_alert(actor=request.user, uid=uid)


# --- spot checks and living support ---------------------------------------------------------

@router.post("/quarantine/orders/{uid}/spot-checks", response={201: SpotCheckOut, 200: SpotCheckOut})
def spot_check_record(request, uid: UUID, payload: SpotCheckIn):
    order = selectors.access_order(actor=request.user, uid=uid)
    spot, created = services.spot_check_record(actor=request.user, order=order, via=Via.from_request(request), **payload.dict())
    spot.created = created
    return Status(201 if created else 200, spot)


class SupportFilters(NodeFilter):
    status: str = ""


@router.get("/quarantine/support-requests", response=list[SupportOut])
@paginate(PageNumberPagination)
def support_list(request, filters: Query[SupportFilters]):
    _audit_list(request, "support_request", filters)
    return selectors.support_request_list(actor=request.user, org=org_filter(actor=request.user, code=filters.org), status=filters.status, mine=filters.mine)


@router.post("/quarantine/orders/{uid}/support-requests", response={201: SupportOut, 200: SupportOut})
def support_open(request, uid: UUID, payload: SupportIn):
    order = selectors.access_order(actor=request.user, uid=uid)
    item, created = services.support_request_open(actor=request.user, order=order, via=Via.from_request(request), **payload.dict())
    return Status(201 if created else 200, item)


@router.post("/quarantine/support-requests/{uid}/close", response=SupportOut)
def support_close(request, uid: UUID, payload: SupportCloseIn):
    item = selectors.access_support_request(actor=request.user, uid=uid)
    return services.support_request_close(actor=request.user, request=item, via=Via.from_request(request), **payload.dict())


# --- releases, timeliness, policy -----------------------------------------------------------

class PeriodFilter(Schema):
    org: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


@router.get("/quarantine/releases", response=list[OrderOut])
@paginate(PageNumberPagination)
def release_list(request, filters: Query[PeriodFilter]):
    _audit_list(request, "quarantine_order", filters)
    return selectors.release_list(actor=request.user, org=org_filter(actor=request.user, code=filters.org), since=filters.since, until=filters.until)


@router.get("/quarantine/timeliness")
def timeliness(request, filters: Query[PeriodFilter]):
    """早发现、早报告、早隔离 in hours: flagged → first order; fever/symptom alert → acknowledged,
    → disposition (median, 90th percentile, max)."""
    until = filters.until or clock.today()
    since = filters.since or until - dt.timedelta(days=13)
    return {"since": since, "until": until,
            **selectors.timeliness(actor=request.user, org=org_filter(actor=request.user, code=filters.org), since=since, until=until)}


def _district(request):
    return core_selectors.district_of(actor=request.user)


@router.get("/quarantine/policy", response=PolicyIO)
def policy_get(request):
    return policy_for(district_id=_district(request).pk)


@router.put("/quarantine/policy", response=PolicyIO)
def policy_put(request, payload: PolicyIO):
    """District office only: the check windows, periods per category, release conditions."""
    return services.quarantine_policy_update(actor=request.user, district=_district(request), via=Via.from_request(request), **payload.dict())
