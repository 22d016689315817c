import datetime as dt

import pytest
from django.utils import timezone

from lianfang.core import clock

# A Monday in the past; the tests that need "now" freeze the clock at 10:00 local on it.
DAY = dt.date(2024, 3, 4)


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute, second)))


@pytest.fixture
def frozen():
    """frozen(aware datetime) sets the clock every rule reads; it runs again after the test."""
    yield clock.set_now
    clock.set_now(None)


@pytest.fixture
def now(frozen):
    moment = local(DAY, 10)
    frozen(moment)
    return moment
