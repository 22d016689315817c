"""Exports of lists: scoped by the selector that produced the queryset, masked by the
columns, and audited here, once."""

from django.utils import timezone

from .audit import Via, audit_record
from .errors import PermissionDenied
from .excel import Column, xlsx_response
from .models import AuditAction
from .pii import mask_search_term
from .roles import Capability, has_capability


def export_list(*, actor, via: Via, object_type: str, queryset, columns: list[Column], name: str, personal: bool,
                filters: dict | None = None):
    """An .xlsx download of `queryset` (or a computed list). `personal` lists (people) need
    the export capability."""
    if personal and not has_capability(actor, Capability.EXPORT_PERSONAL):
        raise PermissionDenied()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response, count = xlsx_response(filename=f"{name}-{stamp}.xlsx", sheet_name=name, columns=columns,
                                    rows=queryset.iterator(chunk_size=2000) if hasattr(queryset, "iterator") else queryset)
    audit_record(actor=actor, action=AuditAction.EXPORT, via=via, object_type=object_type,
                 object_label=name, org_path=actor.jurisdiction.path if actor.jurisdiction else "",
                 detail={"rows": count, "filters": {k: mask_search_term(str(v)) for k, v in (filters or {}).items() if v}})
    return response
