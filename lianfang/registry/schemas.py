import datetime as dt
from uuid import UUID

from ninja import Schema

from lianfang.core.pii import mask_birth_date, mask_id_number, mask_phone


class HouseholdOut(Schema):
    uid: UUID
    address: str
    room: str
    phone: str
    grid_code: str
    org_code: str
    resident_count: int | None = None
    head_name: str | None = None

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.grid.code

    @staticmethod
    def resolve_org_code(obj) -> str:
        return obj.org.code


class HouseholdIn(Schema):
    org_code: str
    address: str
    room: str = ""
    phone: str = ""
    notes: str = ""
    allow_same_room: bool = False


class HouseholdPatch(Schema):
    org_code: str | None = None
    address: str | None = None
    room: str | None = None
    phone: str | None = None
    notes: str | None = None


class ResidentOut(Schema):
    uid: UUID
    household_uid: UUID
    name: str
    id_number: str
    sex: str
    birth_date: str
    phone: str
    relation_to_head: str
    residence_type: str
    notes: str

    @staticmethod
    def resolve_household_uid(obj) -> UUID:
        return obj.household.uid

    @staticmethod
    def resolve_id_number(obj) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_birth_date(obj) -> str:
        return mask_birth_date(obj.birth_date)


class ResidentIn(Schema):
    household_uid: UUID
    name: str
    id_number: str = ""
    phone: str = ""
    relation_to_head: str = ""
    residence_type: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    notes: str = ""


class ResidentPatch(Schema):
    household_uid: UUID | None = None
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    relation_to_head: str | None = None
    residence_type: str | None = None
    sex: str | None = None
    birth_date: dt.date | None = None
    notes: str | None = None


class OfResidentOut(Schema):
    """The person a record (a check, a key-person file) is about: masked, like everywhere."""

    resident_uid: UUID
    name: str
    id_number: str

    @staticmethod
    def resolve_resident_uid(obj) -> UUID:
        return obj.resident.uid

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_id_number(obj) -> str:
        return mask_id_number(obj.resident.id_number)


class ResidentCreated(ResidentOut):
    created: bool
