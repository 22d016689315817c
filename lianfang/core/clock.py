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


def local(day: dt.date, time: dt.time = dt.time.min) -> dt.datetime:
    """That local wall-clock time on `day`, aware (what a person means by "08:00 on the 3rd")."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def day_bounds(first: dt.date, last: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the local days `first`..`last` (one day when `last` is omitted)."""
    return local(first), local((last or first) + dt.timedelta(days=1))
