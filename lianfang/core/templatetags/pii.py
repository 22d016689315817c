from django import template
from django.utils.translation import gettext_lazy as _

from lianfang.core.pii import mask_birth_date, mask_id_number, mask_phone

register = template.Library()
register.filter("mask_id", mask_id_number)
register.filter("mask_phone", mask_phone)
register.filter("mask_birth_date", mask_birth_date)


# Audit detail keys, as people call them.
_DETAIL_LABELS = {
    "field": _("field"), "rows": _("rows"), "filters": _("filters"), "reason": _("reason"),
    "id_number": _("ID number"), "phone": _("phone"),
}


@register.filter
def audit_detail(detail: dict | None) -> str:
    """{"field": "id_number"} -> "field: ID number"; {"phone": [old, new]} -> "phone: old → new"."""
    def label(key) -> str:
        return str(_DETAIL_LABELS.get(key, key))

    def value(v) -> str:
        if isinstance(v, dict):
            return ", ".join(f"{label(k)}={value(x)}" for k, x in v.items()) or "—"
        if isinstance(v, list) and len(v) == 2:
            return f"{v[0] if v[0] not in (None, '') else '—'} → {v[1] if v[1] not in (None, '') else '—'}"
        return label(v) if isinstance(v, str) else str(v)

    return "; ".join(f"{label(k)}: {value(v)}" for k, v in (detail or {}).items())
