"""Ledgers of the district office's reporting pages (.xlsx): the reporting units, the day's
24-hour duty board and the reminder log. Phones are masked unless the reader may reveal them."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from lianfang.core.audit import Via
from lianfang.core.excel import Column
from lianfang.core.exports import export_list

from lianfang.core.pii import phone_as_seen

from .exports import yes_no


def unit_list_export(*, actor, units, via: Via, filters: dict):
    phone = phone_as_seen(actor)
    columns = [
        Column(pgettext_lazy("org unit", "Unit"), lambda u: u.name, 18),
        Column(gettext_lazy("Kind"), lambda u: u.get_kind_display(), 14),
        Column(gettext_lazy("Responsible person"), lambda u: u.head_name, 12),
        Column(gettext_lazy("Phone"), lambda u: phone(u.head_phone), 14),
        Column(gettext_lazy("24-hour duty phone"), lambda u: phone(u.duty_phone), 14),
        Column(gettext_lazy("Head (signs off)"), lambda u: str(u.head) if u.head else "", 12),
        Column(gettext_lazy("Reporters"), lambda u: u.n_reporters, 8),
        Column(gettext_lazy("Reminder robot"), lambda u: u.get_webhook_kind_display() if u.webhook_url else _("no"), 14),
        Column(gettext_lazy("Reports"), lambda u: yes_no(u.is_active), 8),
    ]
    return export_list(actor=actor, via=via, object_type="reporting_unit", queryset=units, columns=columns,
                       name=_("reporting units"), personal=False, filters=filters)


def duty_board_export(*, actor, rows: list, day, via: Via, filters: dict):
    """`rows`: office_views.DutyRow (a unit and who is on duty that day)."""
    phone = phone_as_seen(actor)
    columns = [
        Column(pgettext_lazy("org unit", "Unit"), lambda r: r.unit.name, 18),
        Column(gettext_lazy("Day"), lambda r: day, 11),
        Column(gettext_lazy("Leader on duty"), lambda r: r.leader.name if r.leader else "", 12),
        Column(gettext_lazy("Leader's phone"), lambda r: phone(r.leader.phone) if r.leader else "", 14),
        Column(gettext_lazy("Duty officers"), lambda r: "、".join(e.name for e in r.officers), 20),
        Column(gettext_lazy("Officers' phones"), lambda r: "、".join(phone(e.phone) for e in r.officers), 28),
        Column(gettext_lazy("24-hour duty phone"), lambda r: phone(r.unit.duty_phone), 14),
        Column(gettext_lazy("Nobody on duty"), lambda r: yes_no(r.is_gap), 8),
    ]
    return export_list(actor=actor, via=via, object_type="duty_roster", queryset=rows, columns=columns,
                       name=_("24-hour duty %(day)s") % {"day": day.isoformat()}, personal=False, filters=filters)


def reminder_list_export(*, actor, reminders, via: Via, filters: dict):
    columns = [
        Column(pgettext_lazy("org unit", "Unit"), lambda r: r.unit.name, 18),
        Column(gettext_lazy("Report"), lambda r: r.template.name, 18),
        Column(gettext_lazy("Day"), lambda r: r.day, 11),
        Column(gettext_lazy("Kind"), lambda r: r.get_kind_display(), 14),
        Column(gettext_lazy("Reminded"), lambda r: r.created_at, 16),
        Column(gettext_lazy("Robot"), lambda r: r.get_delivery_display(), 10),
        Column(gettext_lazy("Attempts"), lambda r: r.attempts, 8),
        Column(gettext_lazy("Delivered"), lambda r: r.delivered_at, 16),
        Column(gettext_lazy("Last error"), lambda r: r.last_error, 30),
        Column(gettext_lazy("Message"), lambda r: r.text, 50),
    ]
    return export_list(actor=actor, via=via, object_type="reminder", queryset=reminders, columns=columns,
                       name=_("reminders"), personal=False, filters=filters)
