import datetime as dt
from uuid import UUID

from ninja import Schema

from lianfang.core.pii import mask_id_number


class KeyPersonOut(Schema):
    uid: UUID
    resident_uid: UUID
    name: str
    id_number: str
    address: str
    category: str
    source: str
    source_ref: str
    reason: str
    status: str
    created_at: dt.datetime

    @staticmethod
    def resolve_resident_uid(obj) -> UUID:
        return obj.resident.uid

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_id_number(obj) -> str:
        return mask_id_number(obj.resident.id_number)

    @staticmethod
    def resolve_address(obj) -> str:
        return obj.resident.household.address
