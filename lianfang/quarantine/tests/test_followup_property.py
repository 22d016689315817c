"""A property of the follow-up list: for random check times, order entry times and a random
"now" within one day, the selector's states and counts equal a plain Python model of the rules
(morning 07–11, afternoon 14–18; a window is owed when the order was entered before it closed;
unchecked it is upcoming before it opens, due while open, overdue after; an order is overdue if
any window is, else due, else upcoming, else done)."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck as HypothesisHealthCheck
from hypothesis import given, settings
from hypothesis import strategies as st

from lianfang.core import clock
from lianfang.quarantine import selectors

from .factories import DAY, at, check, person, watch

pytestmark = pytest.mark.django_db

PREV, NEXT = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1)
WINDOWS = {"morning": (7 * 60, 11 * 60), "afternoon": (14 * 60, 18 * 60)}
STATES = ["overdue", "due", "upcoming", "done"]


def minute_at(m: int) -> dt.datetime:
    return at(DAY, m // 60, m % 60)


# The minutes where the rules change, and their neighbours: hit them often.
EDGES = sorted({m + d for start, end in WINDOWS.values() for m in (start, end) for d in (-1, 0, 1)} | {0, 24 * 60 - 1})


def minutes(lo: int, hi: int):
    return st.one_of(st.sampled_from([m for m in EDGES if lo <= m <= hi] or [lo]), st.integers(lo, hi))


@st.composite
def days(draw):
    now = draw(minutes(0, 24 * 60 - 1))
    orders = []
    for _ in range(draw(st.integers(1, 4))):
        # "ongoing": entered yesterday evening; "today": entered today at `entry`; "ended": its
        # last day was yesterday; "tomorrow": entered today, starts tomorrow.
        kind = draw(st.sampled_from(["ongoing", "today", "today", "ended", "tomorrow"]))
        entry = draw(minutes(0, now))
        # A check before 14:00 is the morning check, from 14:00 the afternoon check; never after now.
        morning = draw(st.none() | minutes(0, min(now, 14 * 60 - 1)))
        afternoon = draw(st.none() | minutes(14 * 60, now)) if now >= 14 * 60 else None
        orders.append({"kind": kind, "entry": entry, "morning": morning, "afternoon": afternoon})
    return now, orders


def model(now: int, orders: list[dict]) -> tuple[list[str | None], dict]:
    states, counts = [], {s: 0 for s in STATES} | {f"{slot}_{s}": 0 for slot in WINDOWS for s in STATES} | {"total": 0}
    for o in orders:
        if o["kind"] in ("ended", "tomorrow"):
            states.append(None)
            continue
        entry = -1 if o["kind"] == "ongoing" else o["entry"]
        slots = {}
        for slot, (start, end) in WINDOWS.items():
            if entry >= end:
                continue  # entered after the window closed: not owed
            if o[slot] is not None:
                slots[slot] = "done"
            else:
                slots[slot] = "upcoming" if now < start else "due" if now < end else "overdue"
        if not slots:
            states.append(None)
            continue
        state = next(s for s in STATES if s in slots.values())
        states.append(state)
        counts[state] += 1
        counts["total"] += 1
        for slot, s in slots.items():
            counts[f"{slot}_{s}"] += 1
    return states, counts


def test_the_follow_up_list_matches_the_model(world):
    residents = [person(world, "a", f"人{i}") for i in range(4)]

    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HypothesisHealthCheck))
    @given(days())
    def run(example):
        now, specs = example
        try:
            with transaction.atomic():
                orders = []
                for resident, spec in zip(residents, specs):
                    if spec["kind"] == "ongoing":
                        clock.set_now(at(PREV, 19))
                        orders.append(watch(world, "a", resident=resident, start=PREV))
                    elif spec["kind"] == "ended":
                        clock.set_now(at(PREV, 6))
                        orders.append(watch(world, "a", resident=resident, start=PREV, days=1))
                    else:
                        clock.set_now(minute_at(spec["entry"]))
                        orders.append(watch(world, "a", resident=resident, start=NEXT if spec["kind"] == "tomorrow" else DAY))
                clock.set_now(minute_at(now))
                for order, spec in zip(orders, specs):
                    if spec["kind"] in ("ongoing", "today"):
                        for slot in WINDOWS:
                            if spec[slot] is not None:
                                check(order, world.doctor_a, checked_at=minute_at(spec[slot]))
                rows, counts, day = selectors.followup_list(actor=world.street_officer_a)
                got = {r.pk: selectors.State.ORDER[r.state_rank] for r in rows}
                per_slot = {(r.pk, slot): selectors.row_slot_state(r, day, slot) for r in rows for slot in WINDOWS}
                expected_states, expected_counts = model(now, specs)
                assert got == {o.pk: s for o, s in zip(orders, expected_states) if s is not None}
                assert {k: counts.get(k, 0) for k in expected_counts} == expected_counts
                assert len(rows) == counts["total"]
                assert counts["checks_done"] == expected_counts["morning_done"] + expected_counts["afternoon_done"]
                assert counts["checks_overdue"] == expected_counts["morning_overdue"] + expected_counts["afternoon_overdue"]
                assert all(per_slot[(r.pk, slot)] in ("", *STATES) for r in rows for slot in WINDOWS)
                transaction.set_rollback(True)
        finally:
            clock.set_now(None)

    run()
