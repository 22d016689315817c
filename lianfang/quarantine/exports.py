from django.utils.translation import gettext_lazy as _

from lianfang.core.excel import Column
from lianfang.core.pii import mask_id_number, mask_phone

KEY_PERSON_COLUMNS = [
    Column(_("Grid"), lambda k: k.resident.household.grid.name, 12),
    Column(_("Address"), lambda k: k.resident.household.address, 30),
    Column(_("Name"), lambda k: k.resident.name, 10),
    Column(_("ID number"), lambda k: mask_id_number(k.resident.id_number), 20),
    Column(_("Phone"), lambda k: mask_phone(k.resident.phone), 14),
    Column(_("Category"), lambda k: k.get_category_display(), 14),
    Column(_("Source"), lambda k: k.get_source_display(), 12),
    Column(_("Reason"), lambda k: k.reason, 36),
    Column(_("Status"), lambda k: k.get_status_display(), 10),
    Column(_("Since"), lambda k: k.created_at, 16),
]
