from django.utils.translation import gettext_lazy as _

from lianfang.core.excel import Column
from lianfang.core.pii import mask_id_number, mask_phone


def _id_number(record) -> str:
    return mask_id_number(record.resident.id_number if record.resident_id else record.id_number)


def _phone(record) -> str:
    return mask_phone(record.resident.phone if record.resident_id else record.phone)


CASE_COLUMNS = [
    Column(_("Name"), lambda c: c.name, 10),
    Column(_("ID number"), _id_number, 20),
    Column(_("Phone"), _phone, 14),
    Column(_("Resident"), lambda c: _("yes") if c.resident_id else _("no"), 8),
    Column(_("Jurisdiction unit"), lambda c: c.org.name, 16),
    Column(_("Classification"), lambda c: c.get_classification_display(), 12),
    Column(_("Onset date"), lambda c: c.onset_date, 12),
    Column(_("Reported on"), lambda c: c.reported_on, 12),
    Column(_("Confirmed on"), lambda c: c.confirmed_on, 12),
    Column(_("Hospital / where treated"), lambda c: c.hospital, 20),
    Column(_("Status"), lambda c: c.get_status_display(), 12),
    Column(_("Cluster"), lambda c: c.cluster, 16),
    Column(_("Infected by"), lambda c: c.infected_by.name if c.infected_by_id else "", 10),
    Column(_("Contacts"), lambda c: c.contact_count, 8),
]

CONTACT_COLUMNS = [
    Column(_("Name"), lambda c: c.name, 10),
    Column(_("ID number"), _id_number, 20),
    Column(_("Phone"), _phone, 14),
    Column(_("Case"), lambda c: c.case.name, 10),
    Column(_("Kind"), lambda c: c.get_kind_display(), 12),
    Column(_("Setting"), lambda c: c.get_setting_display(), 10),
    Column(_("Last exposure"), lambda c: c.last_exposure_on, 12),
    Column(_("Status"), lambda c: c.get_status_display(), 12),
    Column(_("Handed over to"), lambda c: c.handed_over_to, 16),
    Column(_("Quarantine until"), lambda c: c.order.end_date if c.order_id else None, 12),
    Column(_("Became case"), lambda c: c.became_case.name if c.became_case_id else "", 10),
    Column(_("Recorded"), lambda c: c.created_at, 16),
]
