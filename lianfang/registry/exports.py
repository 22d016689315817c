"""Column layouts of the registry's Excel exports; identifiers always masked."""

from django.utils.translation import gettext_lazy as _

from lianfang.core.excel import Column
from lianfang.core.pii import mask_birth_date, mask_id_number, mask_phone

RESIDENT_COLUMNS = [
    Column(_("Grid"), lambda r: r.household.grid.name, 14),
    Column(_("Address"), lambda r: r.household.address, 36),
    Column(_("Name"), lambda r: r.name, 10),
    Column(_("ID number"), lambda r: mask_id_number(r.id_number), 20),
    Column(_("Sex"), lambda r: r.get_sex_display(), 6),
    Column(_("Birth date"), lambda r: mask_birth_date(r.birth_date), 12),
    Column(_("Phone"), lambda r: mask_phone(r.phone), 14),
    Column(_("Relation to head"), lambda r: r.get_relation_to_head_display(), 12),
    Column(_("Residence type"), lambda r: r.get_residence_type_display(), 12),
    Column(_("Notes"), lambda r: r.notes, 20),
]

HOUSEHOLD_COLUMNS = [
    Column(_("Grid"), lambda h: h.grid.name, 14),
    Column(_("Building/compound"), lambda h: h.org.name, 16),
    Column(_("Address"), lambda h: h.address, 36),
    Column(_("Room"), lambda h: h.room, 8),
    Column(_("Head of household"), lambda h: h.head_name, 10),
    Column(_("Residents"), lambda h: h.resident_count, 8),
    Column(_("Phone"), lambda h: mask_phone(h.phone), 14),
    Column(_("Notes"), lambda h: h.notes, 20),
]
