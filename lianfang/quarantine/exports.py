"""The ledgers (台账) of key persons and quarantine: one Column list per list page; personal
identifiers masked as on screen."""

from django.utils.translation import gettext_lazy as _

from lianfang.core.excel import Column
from lianfang.core.pii import mask_id_number, mask_phone


def _person(path: str):
    """Columns about the person, reached from a row by `path` ("resident", "order.resident"...)."""
    def get(row):
        for part in path.split("."):
            row = getattr(row, part)
        return row
    return [
        Column(_("Grid"), lambda r: get(r).household.grid.name, 12),
        Column(_("Address"), lambda r: get(r).household.address, 30),
        Column(_("Name"), lambda r: get(r).name, 10),
        Column(_("ID number"), lambda r: mask_id_number(get(r).id_number), 20),
        Column(_("Phone"), lambda r: mask_phone(get(r).phone), 14),
    ]


def _cadres(order) -> str:
    return "；".join(f"{c.get_duty_display()} {c.name} {c.phone}".strip() for c in order.cadres.all())


KEY_PERSON_COLUMNS = _person("resident") + [
    Column(_("Category"), lambda k: k.get_category_display(), 14),
    Column(_("Source"), lambda k: k.get_source_display(), 12),
    Column(_("Reason"), lambda k: k.reason, 36),
    Column(_("Status"), lambda k: k.get_status_display(), 10),
    Column(_("Flagged"), lambda k: k.flagged_at, 16),
    Column(_("Since"), lambda k: k.created_at, 16),
]

ORDER_COLUMNS = _person("resident") + [
    Column(_("Type"), lambda o: o.get_kind_display(), 14),
    Column(_("Site and room"), lambda o: str(o.room) if o.room_id else "", 16),
    Column(_("Start"), lambda o: o.start_date, 11),
    Column(_("Days"), lambda o: o.days, 6),
    Column(_("End"), lambda o: o.end_date, 11),
    Column(_("Status"), lambda o: o.get_status_display(), 10),
    Column(_("Responsible cadres"), _cadres, 40),
    Column(_("Last temperature"), lambda o: o.last_temperature, 8),
    Column(_("Last check"), lambda o: o.last_checked_at, 16),
    Column(_("Notice signed"), lambda o: o.notice_signed_at, 16),
]

FOLLOWUP_COLUMNS = _person("resident") + [
    Column(_("State"), lambda o: o.state_label, 10),
    Column(_("Morning"), lambda o: o.morning_label, 10),
    Column(_("Afternoon"), lambda o: o.afternoon_label, 10),
    Column(_("Day"), lambda o: f"{o.day_number(o.today)}/{o.days}", 8),
    Column(_("Last temperature"), lambda o: o.last_temperature, 8),
    Column(_("Last check"), lambda o: o.last_checked_at, 16),
    Column(_("Responsible cadres"), _cadres, 40),
]

ALERT_COLUMNS = _person("key_person.resident") + [
    Column(_("Alert"), lambda a: a.get_kind_display(), 12),
    Column(_("Detail"), lambda a: a.detail, 30),
    Column(_("Raised"), lambda a: a.raised_at, 16),
    Column(_("Status"), lambda a: a.get_status_display(), 10),
    Column(_("Acknowledged"), lambda a: a.acknowledged_at, 16),
    Column(_("Closed"), lambda a: a.closed_at, 16),
    Column(_("Disposition"), lambda a: a.get_disposition_display(), 14),
    Column(_("Result"), lambda a: a.outcome, 30),
]

RELEASE_COLUMNS = _person("resident") + [
    Column(_("Type"), lambda o: o.get_kind_display(), 14),
    Column(_("Start"), lambda o: o.start_date, 11),
    Column(_("End"), lambda o: o.end_date, 11),
    Column(_("Released"), lambda o: o.ended_at, 16),
    Column(_("Release"), lambda o: o.get_release_kind_display(), 12),
    Column(_("Reason"), lambda o: o.release_reason, 30),
    Column(_("Released by"), lambda o: str(o.ended_by or ""), 12),
]

SUPPORT_COLUMNS = _person("order.resident") + [
    Column(_("Need"), lambda s: s.get_kind_display(), 10),
    Column(_("Detail"), lambda s: s.detail, 30),
    Column(_("Requested"), lambda s: s.requested_at, 16),
    Column(_("Status"), lambda s: s.get_status_display(), 10),
    Column(_("Fulfilled by"), lambda s: s.fulfilled_by_name, 12),
    Column(_("Fulfilled"), lambda s: s.fulfilled_at, 16),
    Column(_("Note"), lambda s: s.note, 30),
]
