"""The short-list counts (computed in Python for one person's list) equal the database's."""

import datetime as dt

import pytest

from lianfang.core.tests.factories import make_resident
from lianfang.quarantine import selectors

from .factories import at, check, watch

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 2, 3)


@pytest.mark.parametrize("hour,minute", [(6, 0), (7, 0), (9, 30), (11, 0), (12, 0), (14, 0), (17, 59), (18, 0), (23, 59)])
def test_python_counts_equal_the_database_counts(world, frozen, hour, minute):
    frozen(at(DAY, 6))
    early = [watch(world, resident=make_resident(household=world.household_a, name=f"早{i}")) for i in range(3)]
    frozen(at(DAY, 9))
    check(early[0], world.doctor_a)
    frozen(at(DAY, 12))
    watch(world, resident=make_resident(household=world.household_a, name="中午"))  # owes no morning check
    frozen(at(DAY, 15))
    check(early[0], world.doctor_a)
    check(early[1], world.doctor_a)
    rows, _counts, _day = selectors.followup_list(actor=world.doctor_a, mine=True)
    day = selectors.followup_day(district_id=world.district.pk, now=at(DAY, hour, minute))
    in_db = selectors.followup_counts(rows, day)
    in_python = selectors.followup_counts_of(rows, day)
    in_python.pop("_keys")
    assert {k: v for k, v in in_python.items() if v or k in in_db} == in_db
