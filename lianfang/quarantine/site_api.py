"""API of central quarantine sites: /api/quarantine/sites..., the same rules as the pages."""

from uuid import UUID

from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view

from . import site_selectors as selectors
from . import site_services as services
from .site_exports import site_ledger_export
from .site_schemas import (
    CheckOutIn,
    FreeRoomOut,
    MoveIn,
    OccupancyOut,
    RoomBriefOut,
    RoomPatch,
    RoomsIn,
    SiteDetailOut,
    SiteIn,
    SiteOut,
    SitePatch,
)

router = Router(tags=["quarantine sites"])


class SiteFilters(Schema):
    q: str = ""
    status: str = "open"  # "open", "closed" or "" for all


def _detail(request, site, free_only: bool = False) -> dict:
    rows = selectors.site_rooms(actor=request.user, site=site, free_only=free_only)
    site.room_list = [{"id": r.room.pk, "number": r.room.number, "capacity": r.room.capacity, "is_usable": r.room.is_usable,
                       "occupied": r.occupied, "free": r.free, "occupants": r.occupants} for r in rows]
    return site


@router.get("/quarantine/sites", response=list[SiteOut])
@paginate(PageNumberPagination)
def site_list(request, filters: Query[SiteFilters]):
    """Sites of the caller's jurisdiction and the sites run above it, with beds, occupied and free."""
    return selectors.site_list(actor=request.user, q=filters.q, status=filters.status)


@router.post("/quarantine/sites", response={201: SiteOut})
def site_create(request, payload: SiteIn):
    data = payload.dict()
    org_unit = core_selectors.access_org_unit(actor=request.user, code=data.pop("org_unit_code"))
    site = services.site_create(actor=request.user, org_unit=org_unit, via=Via.from_request(request), **data)
    return Status(201, selectors.access_site(actor=request.user, uid=site.uid))


@router.get("/quarantine/sites/free-rooms", response=list[FreeRoomOut])
def free_rooms(request, site: UUID | None = None):
    """Rooms with a free bed, for a check-in or a move (optionally of one site)."""
    one = selectors.access_site(actor=request.user, uid=site) if site else None
    return list(selectors.free_rooms(actor=request.user, site=one)[:500])


@router.get("/quarantine/sites/{uid}", response=SiteDetailOut)
def site_get(request, uid: UUID, free: bool = False):
    """The site with every room and the people in it (masked)."""
    site = selectors.access_site(actor=request.user, uid=uid)
    audit_list_view(actor=request.user, object_type="quarantine_site", via=Via.from_request(request),
                    filters={"site": str(uid), "free": "1" if free else ""}, page=1)
    return _detail(request, site, free_only=free)


@router.patch("/quarantine/sites/{uid}", response=SiteOut)
def site_update(request, uid: UUID, payload: SitePatch):
    site = selectors.access_site(actor=request.user, uid=uid)
    patch = payload.dict(exclude_unset=True)
    is_open = patch.pop("is_open", None)
    via = Via.from_request(request)
    if patch:
        code = patch.pop("org_unit_code", None)
        org_unit = core_selectors.access_org_unit(actor=request.user, code=code) if code else None
        current = {f: getattr(site, f) for f in services.SITE_FIELDS}
        services.site_update(actor=request.user, site=site, org_unit=org_unit, via=via,
                             **{**current, **{k: v for k, v in patch.items() if v is not None}})
    if is_open is False and site.is_open:
        services.site_close(actor=request.user, site=site, via=via)
    elif is_open is True and not site.is_open:
        services.site_reopen(actor=request.user, site=site, via=via)
    return selectors.access_site(actor=request.user, uid=uid)


@router.post("/quarantine/sites/{uid}/rooms", response={201: list[RoomBriefOut]})
def rooms_add(request, uid: UUID, payload: RoomsIn):
    """Add rooms: one ("305"), a range ("101-120") or several ("101-120, 201-220"). All or nothing."""
    site = selectors.access_site(actor=request.user, uid=uid)
    rooms = services.rooms_add(actor=request.user, site=site, numbers=payload.numbers, capacity=payload.capacity,
                               via=Via.from_request(request))
    for room in rooms:
        room.site = site
    return Status(201, rooms)


@router.patch("/quarantine/sites/{uid}/rooms/{room_id}", response=RoomBriefOut)
def room_update(request, uid: UUID, room_id: int, payload: RoomPatch):
    site = selectors.access_site(actor=request.user, uid=uid)
    room = selectors.access_room(actor=request.user, site=site, room_id=room_id)
    return services.room_update(actor=request.user, room=room, via=Via.from_request(request), **payload.dict(exclude_unset=True))


@router.get("/quarantine/sites/{uid}/ledger.xlsx", response={200: None})
def ledger(request, uid: UUID, current: bool = False):
    """The site's occupancy ledger (.xlsx, masked): everyone of the caller's jurisdiction who stayed there."""
    site = selectors.access_site(actor=request.user, uid=uid)
    return site_ledger_export(actor=request.user, site=site, via=Via.from_request(request), current_only=current)


@router.post("/quarantine/sites/occupants/{order_uid}/move", response=OccupancyOut)
def occupant_move(request, order_uid: UUID, payload: MoveIn):
    """Move a checked-in person (by their order) to a room with a free bed."""
    order = selectors.access_occupant(actor=request.user, uid=order_uid)
    room = selectors.access_room_any(actor=request.user, room_id=payload.room_id)
    return services.room_move(actor=request.user, order=order, room=room, reason=payload.reason, via=Via.from_request(request))


@router.post("/quarantine/sites/occupants/{order_uid}/check-out", response=OccupancyOut)
def occupant_check_out(request, order_uid: UUID, payload: CheckOutIn):
    """Free the bed of someone who left the site while the order goes on (e.g. to hospital)."""
    order = selectors.access_occupant(actor=request.user, uid=order_uid)
    return services.occupant_check_out(actor=request.user, order=order, reason=payload.reason, via=Via.from_request(request))
