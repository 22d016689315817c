"""The district's quarantine policy and the check windows it defines. Reads only."""

import datetime as dt

from django.utils import timezone

from .models import QuarantinePolicy, Slot


def policy_for(*, district_id: int) -> QuarantinePolicy:
    """The district's policy; the defaults (07–11 and 14–18, 14 days) until someone edits it."""
    return QuarantinePolicy.objects.filter(district_id=district_id).first() or QuarantinePolicy(district_id=district_id)


def window_bounds(policy: QuarantinePolicy, day: dt.date, slot: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a check window as aware datetimes in the local zone."""
    start, end = ((policy.morning_start, policy.morning_end) if slot == Slot.MORNING
                  else (policy.afternoon_start, policy.afternoon_end))
    return (timezone.make_aware(dt.datetime.combine(day, start)), timezone.make_aware(dt.datetime.combine(day, end)))
