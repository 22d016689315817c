"""Figures per gate, community and local day; the busiest hours."""

import datetime as dt

import pytest

from lianfang.core.figures import figures_for
from lianfang.quarantine.tests.factories import watch

from .. import selectors
from .conftest import DAY, local
from .factories import card, code, draft, gate, record

VISITOR = {"name": "访客", "phone": "13912345678"}
NEXT = DAY + dt.timedelta(days=1)


@pytest.fixture
def ledger(world, frozen):
    """Street a: the east gate (building) and a community gate; street b: one gate. Times chosen
    so that local days differ from UTC days (07:30 Beijing is 23:30 UTC the day before)."""
    frozen(local(DAY, 6))
    watch(world, "a")  # in quarantine from DAY on
    east, community, b = gate(world), gate(world, name="社区大门", org=world.community_a), gate(world, "b")
    c = card(world)
    staff = world.street_officer_a
    frozen(local(DAY, 23, 59) + dt.timedelta(seconds=20))  # sent online, at once: the gate turns the person back
    record(staff, draft(east, at=local(DAY, 23, 59), direction="out", temperature=None, card=code(c)))  # breach
    frozen(local(NEXT, 12))
    record(staff,
           draft(east, at=local(DAY, 7, 30), card=code(c)),                                    # in, resident
           draft(east, at=local(DAY, 7, 45), **VISITOR),                                       # in, visitor
           draft(east, at=local(NEXT, 0, 0), temperature="38.0", **VISITOR),                   # fever, next day
           draft(community, at=local(DAY, 7, 10), outcome="turned_back", turn_back_reason="无证", plate="京A12345", **VISITOR),
           draft(community, at=local(DAY - dt.timedelta(days=1), 23, 0), **VISITOR))           # the day before
    record(world.street_officer_b, draft(b, at=local(DAY, 9), health_code="red", **VISITOR))
    return {"east": east, "community": community, "b": b}


def row(rows, **match):
    (found,) = [r for r in rows if all(r[k] == v for k, v in match.items())]
    return found


def test_figures_per_gate_and_local_day(world, ledger):
    f = selectors.passage_figures(actor=world.district_office, since=DAY, until=NEXT)
    east_day = row(f.by_checkpoint_day, checkpoint_id=ledger["east"].pk, day=DAY)
    assert {k: east_day[k] for k in ("total", "inbound", "outbound", "visitors", "breaches", "referred", "turned_back")} == {
        "total": 3, "inbound": 2, "outbound": 1, "visitors": 1, "breaches": 1, "referred": 0, "turned_back": 1}
    east_next = row(f.by_checkpoint_day, checkpoint_id=ledger["east"].pk, day=NEXT)
    assert (east_next["total"], east_next["referred"]) == (1, 1)
    gate_row = row(f.by_checkpoint_day, checkpoint_id=ledger["community"].pk, day=DAY)
    assert (gate_row["total"], gate_row["turned_back"], gate_row["vehicles"]) == (1, 1, 1)


def test_the_period_is_whole_local_days(world, ledger):
    f = selectors.passage_figures(actor=world.district_office, since=DAY, until=DAY)
    assert f.totals["total"] == 5  # 07:10, 07:30, 07:45, 09:00 (street b), 23:59 — not 00:00 the next day, not the day before
    assert [(d["day"], d["total"]) for d in f.by_day] == [(DAY, 5)]
    f = selectors.passage_figures(actor=world.district_office, since=DAY - dt.timedelta(days=1), until=NEXT)
    assert [(d["day"], d["total"]) for d in f.by_day] == [(DAY - dt.timedelta(days=1), 1), (DAY, 5), (NEXT, 1)]


def test_figures_per_community(world, ledger):
    f = selectors.passage_figures(actor=world.district_office, since=DAY, until=NEXT)
    by = {r["community"]: r for r in f.by_community}
    assert set(by) == {world.community_a, world.community_b}
    assert (by[world.community_a]["total"], by[world.community_a]["breaches"], by[world.community_a]["referred"]) == (5, 1, 1)
    assert (by[world.community_b]["total"], by[world.community_b]["referred"]) == (1, 1)
    assert f.totals["total"] == 6 and f.totals["breaches"] == 1 and f.totals["referred"] == 2


def test_the_busiest_hours_are_local_hours(world, ledger):
    f = selectors.passage_figures(actor=world.district_office, since=DAY, until=NEXT)
    assert len(f.hours) == 24 and sum(f.hours) == 6
    assert (f.hours[7], f.hours[9], f.hours[23], f.hours[0]) == (3, 1, 1, 1)


def test_figures_for_one_gate_and_for_one_unit(world, ledger):
    f = selectors.passage_figures(actor=world.district_office, since=DAY, until=NEXT, checkpoint=ledger["community"])
    assert f.totals["total"] == 1
    f = selectors.passage_figures(actor=world.district_office, since=DAY, until=NEXT, org=world.street_b)
    assert f.totals["total"] == 1 and f.totals["referred"] == 1


def test_the_days_figures_offered_to_reports_count_the_local_day(world, ledger):
    """The clock says 12:00 on the next day: only the fever at 00:00 is today's."""
    paths = [world.street_a.path, world.street_b.path]
    today = figures_for(paths=paths, parent_path=world.district.path)
    assert today["passages"] == {world.street_a.path: 1, world.street_b.path: 0}
    assert today["fever_referrals"] == {world.street_a.path: 1, world.street_b.path: 0}
    assert today["turned_back"] == {world.street_a.path: 0, world.street_b.path: 0}
    # Any other day, asked by the daily report: DAY had five passages, a breach, a turn-back and a red code.
    day = figures_for(paths=paths, parent_path=world.district.path, day=DAY, names=["passages", "turned_back", "quarantine_breaches"])
    assert day == {"passages": {world.street_a.path: 4, world.street_b.path: 1}, "turned_back": {world.street_a.path: 2, world.street_b.path: 0},
                   "quarantine_breaches": {world.street_a.path: 1, world.street_b.path: 0}}


def test_figures_through_the_api(world, ledger, token_client):
    api = token_client(world.street_officer_a)
    body = api("get", f"/api/passages/figures?since={DAY}&until={NEXT}").json()
    assert body["totals"]["total"] == 5 and body["hours"][7] == 3
    assert [(r["community"], r["total"]) for r in body["by_community"]] == [(world.community_a.code, 5)]
    assert {(r["checkpoint_name"], r["day"], r["total"]) for r in body["by_checkpoint_day"]} == {
        ("东门", str(DAY), 3), ("东门", str(NEXT), 1), ("社区大门", str(DAY), 1)}
    assert api("get", f"/api/passages/figures?since={NEXT}&until={DAY}").status_code == 400
    assert api("get", f"/api/passages/figures?since={DAY - dt.timedelta(days=93)}&until={DAY}").status_code == 400
