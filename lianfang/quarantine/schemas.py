import datetime as dt
from uuid import UUID

from lianfang.registry.schemas import OfResidentOut


class KeyPersonOut(OfResidentOut):
    uid: UUID
    address: str
    category: str
    source: str
    source_ref: str
    reason: str
    status: str
    created_at: dt.datetime

    @staticmethod
    def resolve_address(obj) -> str:
        return obj.resident.household.address
