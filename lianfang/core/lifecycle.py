"""The acknowledge → close lifecycle shared by everything that calls a human: quarantine alerts,
fever referrals from the gates. The record has `status` (open / acknowledged / closed),
`acknowledged_at/_by`, `closed_at/_by`, `disposition` and `outcome`; callers lock the row,
then audit what changed."""

from django.utils.translation import gettext as _

from . import clock
from .errors import DomainError

OPEN, ACKNOWLEDGED, CLOSED = "open", "acknowledged", "closed"


def _refuse(record) -> None:
    raise DomainError(_("This is already %(status)s.") % {"status": record.get_status_display()}, code="bad_transition")


def handled_acknowledge(record, *, actor) -> None:
    if record.status != OPEN:
        _refuse(record)
    record.status, record.acknowledged_at, record.acknowledged_by = ACKNOWLEDGED, clock.now(), actor
    record.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])


def handled_close(record, *, actor, disposition: str, outcome: str, dispositions) -> str:
    """Close with what was done; an open record is acknowledged at the same moment. Returns the
    status it had."""
    if record.status == CLOSED:
        _refuse(record)
    if disposition not in dispositions:
        raise DomainError(_("Choose what was done."), field="disposition")
    outcome = (outcome or "").strip()
    if disposition == "other" and not outcome:
        raise DomainError(_("Describe what was done."), field="outcome")
    now, before = clock.now(), record.status
    if record.acknowledged_at is None:
        record.acknowledged_at, record.acknowledged_by = now, actor
    record.status, record.closed_at, record.closed_by = CLOSED, now, actor
    record.disposition, record.outcome = disposition, outcome
    record.save()
    return before
