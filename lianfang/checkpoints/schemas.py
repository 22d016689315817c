import datetime as dt
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from lianfang.core.pii import mask_id_number, mask_phone

from . import tokens


class CheckpointIn(Schema):
    org: str = Field(..., description="Code of the unit the gate closes (compound, village, building, community).")
    name: str
    kind: str = "compound_gate"
    location: str = ""
    opens_at: dt.time | None = Field(None, description="Empty with closes_at: open 24 hours.")
    closes_at: dt.time | None = None
    equipment: list[str] = []
    equipment_note: str = ""
    is_single_exit: bool = False
    shift_starts: list[str] = Field([], description='Local start times of the day\'s shifts, e.g. ["08:00", "16:00", "00:00"].')


class CheckpointPatch(CheckpointIn):
    org: str = ""
    is_active: bool = True


class CheckpointOut(Schema):
    uid: UUID
    org: str
    org_name: str
    name: str
    kind: str
    location: str
    opens_at: dt.time | None
    closes_at: dt.time | None
    equipment: list[str]
    equipment_note: str
    is_single_exit: bool
    shift_starts: list[str]
    is_active: bool

    @staticmethod
    def resolve_org(obj) -> str:
        return obj.org.code

    @staticmethod
    def resolve_org_name(obj) -> str:
        return obj.org.name


class StaffIn(Schema):
    usernames: list[str]


class AssignmentOut(Schema):
    id: int
    name: str
    phone: str
    kind: str
    username: str | None

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_username(obj) -> str | None:
        return obj.user.username if obj.user_id else None


class ShiftOut(Schema):
    uid: UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    handover_note: str
    handover_at: dt.datetime | None
    is_gap: bool
    assignments: list[AssignmentOut]

    @staticmethod
    def resolve_assignments(obj) -> list:
        return list(obj.assignments.all())

    @staticmethod
    def resolve_is_gap(obj) -> bool:
        return not obj.assignments.all()


class ShiftPlanIn(Schema):
    start: dt.date
    days: int = 7


class AssignmentIn(Schema):
    name: str = ""
    phone: str = ""
    kind: str = "volunteer"
    username: str = Field("", description="The person's user account, when they have one.")


class HandoverIn(Schema):
    note: str


class DutyNowOut(Schema):
    checkpoint: UUID
    checkpoint_name: str
    shift: ShiftOut | None
    is_gap: bool


class PassCardOut(Schema):
    uid: UUID
    number: str
    status: str
    household: UUID
    address: str
    resident: UUID | None
    resident_name: str
    issued_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str
    code: str = Field(description="What the QR code carries; printed on the card.")

    @staticmethod
    def resolve_household(obj) -> UUID:
        return obj.household.uid

    @staticmethod
    def resolve_address(obj) -> str:
        return obj.household.address

    @staticmethod
    def resolve_resident(obj) -> UUID | None:
        return obj.resident.uid if obj.resident_id else None

    @staticmethod
    def resolve_resident_name(obj) -> str:
        return obj.resident.name if obj.resident_id else ""

    @staticmethod
    def resolve_code(obj) -> str:
        return tokens.card_code(obj.token) if obj.is_active else ""


class PassCardIn(Schema):
    household: UUID
    resident: UUID | None = Field(None, description="A personal card for one member; empty for the household's card.")


class CardsForIn(Schema):
    org: str = Field(..., description="Code of a compound or building: every household there without a card gets one.")


class ReasonIn(Schema):
    reason: str


class CardCheckOut(Schema):
    number: str
    status: str
    address: str
    members: list[str]
    quarantined: list[str]
    exit_blocked: bool


class PassageIn(Schema):
    uid: UUID = Field(..., description="Generated on the phone: sending the same record again stores it once.")
    checkpoint: UUID
    at: dt.datetime
    direction: str = Field(..., description="in or out")
    card: str = Field("", description="The scanned pass-card code.")
    id_number: str = ""
    name: str = Field("", description="A visitor's name (or a person whose ID number is not registered here).")
    phone: str = ""
    temperature: str | int | float | None = Field(None, description="°C; required coming in.")
    mask: bool | None = None
    health_code: str = Field("", description="green, yellow, red, or empty where not checked.")
    plate: str = ""
    disinfected: bool | None = None
    purpose: str = ""
    outcome: str = Field("passed", description="passed, turned_back (with turn_back_reason) or referred.")
    turn_back_reason: str = ""


class PassageOut(Schema):
    uid: UUID
    checkpoint: UUID
    checkpoint_name: str
    at: dt.datetime
    direction: str
    subject: str
    name: str
    id_number: str
    phone: str
    is_visitor: bool
    temperature: Decimal | None
    mask: bool | None
    health_code: str
    plate: str
    disinfected: bool | None
    purpose: str
    outcome: str
    turn_back_reason: str
    is_fever: bool
    is_breach: bool
    recorded_at: dt.datetime

    @staticmethod
    def resolve_checkpoint(obj) -> UUID:
        return obj.checkpoint.uid

    @staticmethod
    def resolve_checkpoint_name(obj) -> str:
        return obj.checkpoint.name

    @staticmethod
    def resolve_id_number(obj) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)


class PassageResultOut(Schema):
    """What the gate needs back per record (kept small: a batch answers hundreds of them)."""

    uid: UUID
    created: bool
    outcome: str
    is_fever: bool
    is_breach: bool
    notes: list[str]
    name: str
    plate: str
    direction: str
    temperature: Decimal | None
    at: dt.datetime


class BatchIn(Schema):
    records: list[PassageIn]


class BatchOut(Schema):
    stored: int
    replayed: int
    results: list[PassageResultOut]


class RecordErrorOut(Schema):
    index: int
    uid: str
    field: str | None
    message: str
    code: str


class BatchErrorOut(Schema):
    detail: str
    code: str
    errors: list[RecordErrorOut]


class FigureRow(Schema):
    total: int
    inbound: int
    outbound: int
    visitors: int
    turned_back: int
    referred: int
    breaches: int
    vehicles: int


class CheckpointDayOut(FigureRow):
    checkpoint: UUID
    checkpoint_name: str
    day: dt.date


class CommunityFiguresOut(FigureRow):
    community: str | None
    community_name: str


class DayFiguresOut(FigureRow):
    day: dt.date


class FiguresOut(Schema):
    since: dt.date
    until: dt.date
    totals: FigureRow
    by_day: list[DayFiguresOut]
    by_community: list[CommunityFiguresOut]
    by_checkpoint_day: list[CheckpointDayOut]
    hours: list[int] = Field(description="Passages per local hour of the day, 0–23.")


class ReferralOut(Schema):
    uid: UUID
    reasons: list[str]
    status: str
    raised_at: dt.datetime
    checkpoint_name: str
    name: str
    temperature: Decimal | None
    health_code: str
    disposition: str
    outcome: str
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_checkpoint_name(obj) -> str:
        return obj.passage.checkpoint.name

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.passage.name

    @staticmethod
    def resolve_temperature(obj):
        return obj.passage.temperature

    @staticmethod
    def resolve_health_code(obj) -> str:
        return obj.passage.health_code


class ReferralCloseIn(Schema):
    disposition: str
    outcome: str = ""
