"""Ledgers of the checkpoint pages (.xlsx): gates, a gate's roster, who is on duty now, pass cards.
A card's code is a credential and is never exported."""

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from lianfang.core.audit import Via
from lianfang.core.excel import Column
from lianfang.core.exports import export_list
from lianfang.core.pii import phone_as_seen


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _names(row) -> str:
    return "、".join(row.names) if row.names else _("nobody")


def checkpoint_list_export(*, actor, rows: list, via: Via, filters: dict):
    """`rows`: (checkpoint, names on duty now or None when out of service)."""
    columns = [
        Column(pgettext_lazy("checkpoint", "Name"), lambda r: r[0].name, 14),
        Column(gettext_lazy("Type"), lambda r: r[0].get_kind_display(), 14),
        Column(pgettext_lazy("org unit", "Unit"), lambda r: r[0].org.name, 16),
        Column(gettext_lazy("Location"), lambda r: r[0].location, 20),
        Column(gettext_lazy("Hours"), lambda r: r[0].hours_label(), 12),
        Column(gettext_lazy("Single exit"), lambda r: _yes(r[0].is_single_exit), 8),
        Column(gettext_lazy("In service"), lambda r: _yes(r[0].is_active), 8),
        Column(gettext_lazy("On duty now"), lambda r: "" if r[1] is None else "、".join(r[1]) or _("nobody"), 24),
        Column(gettext_lazy("Posted staff"), lambda r: "、".join(str(u) for u in r[0].staff.all()), 20),
        Column(gettext_lazy("Equipment"), lambda r: "、".join(r[0].equipment_labels() + ([r[0].equipment_note] if r[0].equipment_note else [])), 24),
    ]
    return export_list(actor=actor, via=via, object_type="checkpoint", queryset=rows, columns=columns, name=_("checkpoints"),
                       personal=False, filters=filters)


def roster_export(*, actor, checkpoint, shifts, via: Via, filters: dict):
    phone = phone_as_seen(actor)
    columns = [
        Column(gettext_lazy("Day"), lambda s: timezone.localtime(s.starts_at).date(), 11),
        Column(gettext_lazy("From"), lambda s: s.starts_at, 16),
        Column(gettext_lazy("Until"), lambda s: s.ends_at, 16),
        Column(gettext_lazy("Names"), lambda s: "、".join(a.name for a in s.assignments.all()) or _("nobody"), 24),
        Column(gettext_lazy("As"), lambda s: "、".join(a.get_kind_display() for a in s.assignments.all()), 20),
        Column(gettext_lazy("Phones"), lambda s: "、".join(phone(a.phone) for a in s.assignments.all() if a.phone), 28),
        Column(gettext_lazy("Handover note"), lambda s: s.handover_note, 40),
    ]
    name = _safe_name(_("%(gate)s roster") % {"gate": f"{checkpoint.org.name} {checkpoint.name}"})
    return export_list(actor=actor, via=via, object_type="duty_shift", queryset=list(shifts), columns=columns, name=name,
                       personal=False, filters=filters)


def duty_board_export(*, actor, rows: list, via: Via, filters: dict):
    phone = phone_as_seen(actor)
    columns = [
        Column(gettext_lazy("Checkpoint"), lambda r: r.checkpoint.name, 14),
        Column(pgettext_lazy("org unit", "Unit"), lambda r: r.checkpoint.org.name, 16),
        Column(gettext_lazy("From"), lambda r: r.shift.starts_at if r.shift else None, 16),
        Column(gettext_lazy("Until"), lambda r: r.shift.ends_at if r.shift else None, 16),
        Column(gettext_lazy("On duty now"), _names, 28),
        Column(gettext_lazy("Phones"), lambda r: "、".join(phone(a.phone) for a in r.shift.assignments.all() if a.phone) if r.shift else "", 28),
        Column(gettext_lazy("Gap"), lambda r: _yes(r.is_gap), 6),
    ]
    return export_list(actor=actor, via=via, object_type="duty_shift", queryset=rows, columns=columns, name=_("on duty now"),
                       personal=False, filters=filters)


CARD_COLUMNS = [
    Column(gettext_lazy("Card number"), lambda c: c.number, 12),
    Column(gettext_lazy("Address"), lambda c: c.household.address, 30),
    Column(gettext_lazy("Resident"), lambda c: c.resident.name if c.resident else "", 10),
    Column(gettext_lazy("Status"), lambda c: c.get_status_display(), 8),
    Column(gettext_lazy("Issued"), lambda c: c.issued_at, 16),
    Column(gettext_lazy("Revoked on"), lambda c: c.revoked_at, 16),
    Column(gettext_lazy("Reason"), lambda c: c.revoke_reason, 20),
]


def card_list_export(*, actor, cards, via: Via, filters: dict):
    return export_list(actor=actor, via=via, object_type="pass_card", queryset=cards, columns=CARD_COLUMNS, name=_("pass cards"),
                       personal=True, filters=filters)


def _safe_name(name: str) -> str:
    """Excel refuses these characters in a sheet name, and file names should not hold them."""
    return re.sub(r"[\[\]:*?/\\]+", " ", name).strip()[:31]
