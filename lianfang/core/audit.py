"""The audit trail of personal data: one call, `audit_record`, used by every service."""

from dataclasses import dataclass

from .models import AuditAction, AuditEntry, Channel


@dataclass(frozen=True)
class Via:
    """Where an action came from: the page or API path, and the client address."""

    channel: str
    path: str = ""
    ip: str | None = None

    @classmethod
    def from_request(cls, request) -> "Via":
        channel = Channel.API if request.path.startswith("/api/") else Channel.PAGE
        # The path only: a query string can hold a full ID number typed into a search.
        return cls(channel=channel, path=request.path[:300], ip=request.META.get("REMOTE_ADDR") or None)


COMMAND = Via(channel=Channel.COMMAND)


def audit_record(
    *,
    actor,
    action: AuditAction | str,
    via: Via,
    object_type: str,
    object_ref: str = "",
    object_label: str = "",
    org_path: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=str(actor) if actor else "system",
        action=action,
        object_type=object_type,
        object_ref=str(object_ref),
        object_label=object_label[:200],
        org_path=org_path,
        detail=detail or {},
        channel=via.channel,
        request_path=via.path,
        ip=via.ip,
    )


def audit_view(*, actor, record, object_type: str, via: Via) -> AuditEntry:
    """A personal record was opened (scoped records carry `uid` and `org_path`)."""
    return audit_record(actor=actor, action=AuditAction.VIEW, via=via, object_type=object_type,
                        object_ref=record.uid, object_label=str(record), org_path=record.org_path)


def audit_list_view(*, actor, object_type: str, via: Via, filters: dict, page: int) -> AuditEntry:
    """A list of people was read (masked): what was asked for, not who came back."""
    from .pii import mask_search_term

    return audit_record(actor=actor, action=AuditAction.VIEW, via=via, object_type=object_type,
                        org_path=actor.jurisdiction.path if actor.jurisdiction else "",
                        detail={"page": page, "filters": {k: mask_search_term(str(v)) for k, v in filters.items() if v}})


def changed_fields(before: dict, after: dict) -> dict:
    """{field: [old, new]} for what differs; personal identifiers are logged masked."""
    from .pii import MASKERS

    out = {}
    for key, new in after.items():
        old = before.get(key)
        if old != new:
            mask = MASKERS.get(key)
            out[key] = [mask(old) if mask else _plain(old), mask(new) if mask else _plain(new)]
    return out


def _plain(value):
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
