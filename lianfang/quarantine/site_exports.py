"""Ledgers of central quarantine sites (.xlsx): the list of sites with their beds, and one
site's occupancy ledger (隔离点台账), masked, the same from the page and the API."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.core.audit import Via
from lianfang.core.excel import Column
from lianfang.core.exports import export_list
from lianfang.core.pii import mask_id_number, mask_phone

from . import site_selectors
from .models import Site

SITE_COLUMNS = [
    Column(gettext_lazy("Site"), lambda s: s.name, 24),
    Column(gettext_lazy("Address"), lambda s: s.address, 30),
    Column(gettext_lazy("Run by"), lambda s: s.org_unit.name, 14),
    Column(gettext_lazy("Contact"), lambda s: s.contact_name, 10),
    Column(gettext_lazy("Contact phone"), lambda s: s.contact_phone, 14),
    Column(gettext_lazy("In use"), lambda s: _("yes") if s.is_open else _("no"), 8),
    Column(gettext_lazy("Rooms"), lambda s: s.room_count, 8),
    Column(gettext_lazy("Beds"), lambda s: s.beds, 8),
    Column(gettext_lazy("Occupied"), lambda s: s.occupied, 8),
    Column(gettext_lazy("Free"), lambda s: s.free, 8),
]


def _stay(order) -> str:
    if order.checked_out_at is None and order.is_active:
        return _("In the site")
    return _("Checked out")


LEDGER_COLUMNS = [
    Column(gettext_lazy("Room"), lambda o: o.room.number, 8),
    Column(gettext_lazy("Name"), lambda o: o.resident.name, 10),
    Column(gettext_lazy("ID number"), lambda o: mask_id_number(o.resident.id_number), 20),
    Column(gettext_lazy("Phone"), lambda o: mask_phone(o.resident.phone), 14),
    Column(gettext_lazy("Grid"), lambda o: o.resident.household.grid.name, 12),
    Column(gettext_lazy("Category"), lambda o: o.key_person.get_category_display(), 14),
    Column(gettext_lazy("Start"), lambda o: o.start_date, 11),
    Column(gettext_lazy("End"), lambda o: o.end_date, 11),
    Column(gettext_lazy("Checked in"), lambda o: o.checked_in_at, 16),
    Column(gettext_lazy("Checked out"), lambda o: o.checked_out_at, 16),
    Column(gettext_lazy("Now"), _stay, 10),
    Column(gettext_lazy("Order status"), lambda o: o.get_status_display(), 10),
]


def site_list_export(*, actor, sites, via: Via, filters: dict):
    return export_list(actor=actor, via=via, object_type="quarantine_site", queryset=sites, columns=SITE_COLUMNS,
                       name=_("quarantine sites"), personal=False, filters=filters)


def site_ledger_export(*, actor, site: Site, via: Via, current_only: bool = False):
    orders = site_selectors.occupancy_ledger(actor=actor, site=site, current_only=current_only)
    return export_list(actor=actor, via=via, object_type="quarantine_site_ledger", queryset=orders, columns=LEDGER_COLUMNS,
                       name=_safe_name(_("%(site)s ledger") % {"site": site.name}), personal=True,
                       filters={"site": str(site.uid), "current": "1" if current_only else ""})


def _safe_name(name: str) -> str:
    """Excel refuses these characters in a sheet name, and file names should not hold them."""
    return re.sub(r"[\[\]:*?/\\]+", " ", name).strip()[:31]
