"""In/Out schemas of the daily reporting API. Phones of responsible people and of the duty roster
are masked unless the caller may reveal personal data (Capability.REVEAL_PII)."""

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from lianfang.core.pii import mask_phone, phone_as_seen

from .selectors import plain_number


def phone_for(context, phone: str) -> str:
    """The phone as the caller may see it."""
    request = (context or {}).get("request")
    return phone_as_seen(request.user)(phone) if request is not None else mask_phone(phone)


# --- templates ------------------------------------------------------------------------------

class FieldIn(Schema):
    key: str = Field(..., description="Letters, digits and _, starting with a letter (e.g. visited).")
    label: str
    section: str = ""
    kind: str = Field("integer", description="integer, decimal, text, choice or yes_no.")
    choices: list[str] = []
    required: bool = True
    source: str = Field("", description="A registered figure the form pre-fills this field from (whole numbers only).")


class RuleIn(Schema):
    left: str
    op: str = Field(..., description="le, lt, eq, ge or gt.")
    right: str
    message: str = ""


class TemplateIn(Schema):
    name: str
    unit_kinds: list[str] = Field(..., description="Who reports: street, community, finance, commerce, education...")
    deadline: dt.time = Field(dt.time(10), description="Local time on the day reported.")
    deadline_next_day: bool = Field(False, description="The deadline is the next morning.")
    remind_before: int = 60
    remind_after: int = 30
    is_active: bool = True
    fields: list[FieldIn]
    rules: list[RuleIn] = []


class FieldOut(Schema):
    key: str
    label: str
    section: str
    kind: str
    choices: list[str]
    required: bool
    source: str


class RuleOut(Schema):
    left: str
    op: str
    right: str
    message: str


class TemplateOut(Schema):
    uid: UUID
    name: str
    unit_kinds: list[str]
    deadline: dt.time
    deadline_next_day: bool
    remind_before: int
    remind_after: int
    is_active: bool


class TemplateDetailOut(TemplateOut):
    fields: list[FieldOut]
    rules: list[RuleOut]

    @staticmethod
    def resolve_fields(obj) -> list:
        return list(obj.fields.all())

    @staticmethod
    def resolve_rules(obj) -> list:
        return list(obj.rules.all())


# --- units ----------------------------------------------------------------------------------

class UnitRef(Schema):
    uid: UUID
    name: str
    kind: str
    org: str | None = Field(None, description="Code of the unit's node of the tree; none for a department.")

    @staticmethod
    def resolve_org(obj) -> str | None:
        return obj.org.code if obj.org_id else None


class UnitContact(UnitRef):
    """A unit with whom to call: its head and the 24-hour duty phone (masked unless the role
    may reveal phones)."""

    head_name: str
    head_phone: str
    duty_phone: str

    @staticmethod
    def resolve_head_phone(obj, context) -> str:
        return phone_for(context, obj.head_phone)

    @staticmethod
    def resolve_duty_phone(obj, context) -> str:
        return phone_for(context, obj.duty_phone)


class UnitOut(UnitContact):
    head: str | None = Field(None, description="User name of the head who signs reports off.")
    reporters: list[str]
    webhook_kind: str
    has_webhook: bool
    is_active: bool

    @staticmethod
    def resolve_head(obj) -> str | None:
        return obj.head.username if obj.head_id else None

    @staticmethod
    def resolve_reporters(obj) -> list[str]:
        return sorted(u.username for u in obj.reporters.all())

    @staticmethod
    def resolve_has_webhook(obj) -> bool:
        return bool(obj.webhook_url)


class UnitIn(Schema):
    head_name: str = ""
    head_phone: str = ""
    duty_phone: str = ""
    head: str = Field("", description="User name of the head who signs reports off; empty for none.")
    reporters: list[str] | None = Field(None, description="User names of the reporters; omitted: unchanged.")
    webhook_kind: str = Field("", description="wecom or dingtalk.")
    webhook_url: str = Field("", description="The group robot's address; empty: no robot.")
    is_active: bool = True


class DepartmentIn(Schema):
    kind: str = Field(description="finance, commerce, education, justice, construction, health or other.")
    name: str


class AddedOut(Schema):
    added: int


class MissingOut(UnitContact):
    """A unit that has not reported yet."""


# --- reports --------------------------------------------------------------------------------

class TemplateRef(Schema):
    uid: UUID
    name: str


class ReportOut(Schema):
    uid: UUID
    template: TemplateRef
    unit: UnitRef
    day: dt.date
    values: dict[str, Any]
    prefilled: dict[str, Any]
    is_zero: bool
    is_late: bool
    revision: int
    submitted_at: dt.datetime
    submitted_by: str | None
    signed_off_at: dt.datetime | None

    @staticmethod
    def resolve_submitted_by(obj) -> str | None:
        return str(obj.submitted_by) if obj.submitted_by_id else None


class RevisionOut(Schema):
    revision: int
    values: dict[str, Any]
    is_zero: bool
    submitted_at: dt.datetime
    submitted_by: str | None
    replaced_at: dt.datetime
    replaced_by: str | None
    reason: str

    @staticmethod
    def resolve_submitted_by(obj) -> str | None:
        return str(obj.submitted_by) if obj.submitted_by_id else None

    @staticmethod
    def resolve_replaced_by(obj) -> str | None:
        return str(obj.replaced_by) if obj.replaced_by_id else None


class ReportDetailOut(ReportOut):
    signed_off_by: str | None
    revisions: list[RevisionOut]

    @staticmethod
    def resolve_signed_off_by(obj) -> str | None:
        return str(obj.signed_off_by) if obj.signed_off_by_id else None

    @staticmethod
    def resolve_revisions(obj) -> list:
        return list(obj.revisions.select_related("submitted_by", "replaced_by"))


class SubmitIn(Schema):
    uid: UUID = Field(..., description="Generated by the client once per submission; a retry sends the same uid.")
    day: dt.date | None = Field(None, description="The day reported; today when omitted.")
    values: dict[str, Any] = {}


class ZeroIn(Schema):
    uid: UUID = Field(..., description="Generated by the client once per submission; a retry sends the same uid.")
    day: dt.date | None = None


class CorrectIn(Schema):
    values: dict[str, Any] | None = None
    zero: bool = Field(False, description="Correct it into a zero report (no values).")
    reason: str


class DueOut(Schema):
    template: TemplateRef
    unit: UnitRef
    day: dt.date
    deadline: dt.datetime
    overdue: bool
    report: UUID | None
    is_zero: bool
    is_late: bool

    @staticmethod
    def resolve_report(obj) -> UUID | None:
        return obj.report.uid if obj.report else None

    @staticmethod
    def resolve_is_zero(obj) -> bool:
        return bool(obj.report and obj.report.is_zero)

    @staticmethod
    def resolve_is_late(obj) -> bool:
        return bool(obj.report and obj.report.is_late)


class FormFieldOut(Schema):
    key: str = Field(alias="field.key")
    label: str = Field(alias="field.label")
    section: str = Field(alias="field.section")
    kind: str = Field(alias="field.kind")
    choices: list[str] = Field(alias="field.choices")
    required: bool = Field(alias="field.required")
    source: str = Field(alias="field.source")
    source_title: str
    value: Any = Field(None, description="The submitted value, or the pre-filled figure before submitting.")
    prefilled: Any = Field(None, description="What the records say now, for a sourced field.")


class FormOut(Schema):
    template: TemplateRef
    unit: UnitRef
    day: dt.date
    deadline: dt.datetime
    overdue: bool
    fields: list[FormFieldOut]
    report: ReportOut | None

    @staticmethod
    def resolve_overdue(obj) -> bool:
        from lianfang.core import clock

        return obj.report is None and clock.now() > obj.deadline


# --- completeness and roll-up ---------------------------------------------------------------

class MatrixRowOut(Schema):
    unit: UnitRef
    cells: list[str] = Field(..., description="Per day: on_time, late, missing, pending or not_due.")
    zero: list[bool]


class MatrixOut(Schema):
    template: TemplateRef
    days: list[dt.date]
    rows: list[MatrixRowOut]
    expected: int
    submitted: int
    on_time: int
    zero: int
    reporting_rate: float | None
    on_time_rate: float | None


class OrgRef(Schema):
    code: str
    name: str


class RollupTextOut(Schema):
    unit: str
    label: str
    text: str


class RollupRowOut(Schema):
    label: str
    org: OrgRef | None = Field(None, description="A node to drill into (?org=code).")
    unit: UnitRef | None = Field(None, description="A single unit reporting at the node itself.")
    report: UUID | None = Field(None, description="That unit's report of the day.")
    units: int
    reported: int
    zero: int
    sums: dict[str, int | str]
    texts: list[RollupTextOut]

    @staticmethod
    def resolve_report(obj) -> UUID | None:
        return obj.report.uid if obj.report else None

    @staticmethod
    def resolve_sums(obj) -> dict:
        return {k: plain_number(v) for k, v in obj.sums.items()}

    @staticmethod
    def resolve_texts(obj) -> list[dict]:
        return [{"unit": u, "label": label, "text": str(text)} for u, label, text in obj.texts]


class RollupOut(Schema):
    template: TemplateRef
    day: dt.date
    fields: list[FieldOut]
    rows: list[RollupRowOut]
    total: RollupRowOut


# --- duty, reminders, briefs ----------------------------------------------------------------

class DutyEntryIn(Schema):
    role: str = Field("officer", description="leader or officer.")
    name: str
    phone: str


class DutyIn(Schema):
    day: dt.date
    entries: list[DutyEntryIn]


class DutyOut(Schema):
    unit: UnitRef
    day: dt.date
    role: str
    name: str
    phone: str

    @staticmethod
    def resolve_phone(obj, context) -> str:
        return phone_for(context, obj.phone)


class ReminderOut(Schema):
    template: TemplateRef
    unit: UnitRef
    day: dt.date
    kind: str
    created_at: dt.datetime
    text: str
    delivery: str
    attempts: int
    delivered_at: dt.datetime | None
    last_error: str


class BriefIn(Schema):
    day: dt.date
    title: str = ""
    office: str = ""
    send_to: str = Field("", description="本期送")
    copy_to: str = Field("", description="发")
    editors: str = ""
    highlights: str = ""
    templates: list[UUID] | None = Field(None, description="The templates it reports on; every active one when omitted.")
    again: bool = Field(False, description="Issue although a brief of the day exists (409 otherwise).")


class BriefOut(Schema):
    uid: UUID
    number: int
    day: dt.date
    title: str
    office: str
    send_to: str
    copy_to: str
    editors: str
    highlights: str
    created_at: dt.datetime


class BriefDetailOut(BriefOut):
    content: dict[str, Any]

    @staticmethod
    def resolve_content(obj, context) -> dict:
        """The duty roster's phones masked like any other list's."""
        duty = [{**d, "duty_phone": phone_for(context, d.get("duty_phone", "")),
                 "leader_phone": phone_for(context, d.get("leader_phone", "")),
                 "officers": [{**o, "phone": phone_for(context, o.get("phone", ""))} for o in d.get("officers", [])]}
                for d in obj.content.get("duty", [])]
        return {**obj.content, "duty": duty}
