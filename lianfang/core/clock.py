"""The one clock every time-dependent rule reads (check windows, overdue checks, deadlines),
so tests can set the time and cross midnight without sleeping."""

import datetime as dt

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    return _frozen or timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


def set_now(value: dt.datetime | None) -> None:
    """Tests only: freeze the clock at an aware datetime (None lets it run again)."""
    global _frozen
    _frozen = value
