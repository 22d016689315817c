import datetime as dt
from uuid import UUID

from ninja import Schema

from lianfang.registry.schemas import OfResidentOut


class SiteOut(Schema):
    uid: UUID
    name: str
    address: str
    org_unit_code: str
    org_unit_name: str
    # The site's duty phone (a hotel desk, the site office), not a person's: shown in full.
    contact_name: str
    contact_phone: str
    is_open: bool
    rooms: int
    beds: int
    occupied: int
    free: int

    @staticmethod
    def resolve_org_unit_code(obj) -> str:
        return obj.org_unit.code

    @staticmethod
    def resolve_org_unit_name(obj) -> str:
        return obj.org_unit.name

    @staticmethod
    def resolve_rooms(obj) -> int:
        return obj.room_count


class OccupantOut(OfResidentOut):
    """A person in a room (masked). `order_uid` moves or checks them out."""

    order_uid: UUID
    kind: str
    start_date: dt.date
    end_date: dt.date
    checked_in_at: dt.datetime | None

    @staticmethod
    def resolve_order_uid(obj) -> UUID:
        return obj.uid


class RoomOut(Schema):
    id: int
    number: str
    capacity: int
    is_usable: bool
    occupied: int
    free: int
    # People from outside the caller's jurisdiction are counted in `occupied`, never named.
    occupants: list[OccupantOut]


class SiteDetailOut(SiteOut):
    room_list: list[RoomOut]


class SiteIn(Schema):
    org_unit_code: str
    name: str
    address: str
    contact_name: str = ""
    contact_phone: str = ""


class SitePatch(Schema):
    """Any of the fields; `is_open: false` closes the site (nobody may be in it), `true` reopens it."""

    org_unit_code: str | None = None
    name: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    is_open: bool | None = None


class RoomsIn(Schema):
    numbers: str  # "305", "101-120" or "101-120, 201-220, A1"
    capacity: int = 1


class RoomPatch(Schema):
    capacity: int | None = None
    is_usable: bool | None = None


class RoomBriefOut(Schema):
    id: int
    number: str
    capacity: int
    is_usable: bool
    site_uid: UUID
    site_name: str

    @staticmethod
    def resolve_site_uid(obj) -> UUID:
        return obj.site.uid

    @staticmethod
    def resolve_site_name(obj) -> str:
        return obj.site.name


class FreeRoomOut(RoomBriefOut):
    occupied: int
    free: int


class MoveIn(Schema):
    room_id: int
    reason: str = ""


class CheckOutIn(Schema):
    reason: str


class OccupancyOut(OfResidentOut):
    order_uid: UUID
    room: RoomBriefOut
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None

    @staticmethod
    def resolve_order_uid(obj) -> UUID:
        return obj.uid
