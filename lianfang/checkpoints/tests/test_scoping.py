"""Who sees what: checkpoint staff see the gates they are posted to and those gates' records
only; everyone else sees their jurisdiction (street a never sees street b). Through the
selectors and through the API."""

import datetime as dt

import pytest

from lianfang.core.audit import COMMAND
from lianfang.core.roles import Role
from lianfang.core.tests.factories import make_user

from .. import selectors, services
from ..models import Passage
from .factories import draft, gate, record

VISITOR = {"name": "访客", "phone": "13912345678"}


@pytest.fixture
def gates(world, now):
    """Two gates of street a's building (staff a posted to the east gate only), a gate of grid 2,
    and street b's gate; each with one record and one fever referral."""
    east = gate(world, name="东门")
    west = gate(world, name="西门", staff=[])
    grid2 = gate(world, name="二网格门", org=world.grid2_a, staff=[])
    b = gate(world, "b", name="东门")
    for g, actor in ((east, world.street_officer_a), (west, world.street_officer_a), (grid2, world.street_officer_a),
                     (b, world.street_officer_b)):
        record(actor, draft(g, at=now, **VISITOR), draft(g, at=now, temperature="38.0", **VISITOR))
    return {"east": east, "west": west, "grid2": grid2, "b": b}


def gates_seen(actor):
    return {c.pk for c in selectors.checkpoint_list(actor=actor)}


def passages_seen(actor):
    return {p.checkpoint_id for p in selectors.passage_list(actor=actor)}


def referrals_seen(actor):
    return {r.passage.checkpoint_id for r in selectors.referral_list(actor=actor)}


@pytest.mark.parametrize("who, expected", [
    ("checkpoint_staff_a", {"east"}),
    ("checkpoint_staff_b", {"b"}),
    ("street_officer_a", {"east", "west", "grid2"}),
    ("grid_worker_a", {"east", "west"}),  # grid 1 holds the building; grid 2's gate is not theirs
    ("street_officer_b", {"b"}),
    ("district_office", {"east", "west", "grid2", "b"}),
    ("supervision", {"east", "west", "grid2", "b"}),
])
def test_each_role_sees_its_gates_their_records_and_their_referrals(world, gates, who, expected):
    actor = getattr(world, who)
    want = {gates[k].pk for k in expected}
    assert gates_seen(actor) == want
    assert passages_seen(actor) == want
    assert referrals_seen(actor) == want
    assert {r.checkpoint.pk for r in selectors.duty_board(actor=actor)} == want


def test_staff_reach_a_single_gate_record_only_where_posted(world, gates):
    from django.http import Http404

    staff = world.checkpoint_staff_a
    assert selectors.access_checkpoint(actor=staff, uid=gates["east"].uid) == gates["east"]
    west_passage = Passage.objects.filter(checkpoint=gates["west"]).first()
    for fetch in (lambda: selectors.access_checkpoint(actor=staff, uid=gates["west"].uid),
                  lambda: selectors.access_checkpoint(actor=staff, uid=gates["b"].uid),
                  lambda: selectors.access_passage(actor=staff, uid=west_passage.uid),
                  lambda: selectors.access_referral(actor=staff, uid=Passage.objects.get(checkpoint=gates["west"],
                                                                                          is_fever=True).referral.uid)):
        with pytest.raises(Http404):
            fetch()


def test_staff_posted_to_a_second_gate_see_it_and_lose_it_when_taken_off(world, gates):
    staff = world.checkpoint_staff_a
    services.checkpoint_staff_set(actor=world.street_officer_a, checkpoint=gates["west"], users=[staff], via=COMMAND)
    assert passages_seen(staff) == {gates["east"].pk, gates["west"].pk}
    services.checkpoint_staff_set(actor=world.street_officer_a, checkpoint=gates["east"], users=[], via=COMMAND)
    assert passages_seen(staff) == {gates["west"].pk}


def test_staff_of_one_street_cannot_be_posted_to_the_other(world, gates):
    from lianfang.core.errors import DomainError

    with pytest.raises(DomainError) as e:
        services.checkpoint_staff_set(actor=world.street_officer_a, checkpoint=gates["east"], users=[world.checkpoint_staff_b],
                                      via=COMMAND)
    assert e.value.field == "staff"


def test_figures_count_only_what_the_actor_sees(world, gates, now):
    day = now.date()
    assert selectors.passage_figures(actor=world.checkpoint_staff_a, since=day, until=day).totals["total"] == 2
    assert selectors.passage_figures(actor=world.street_officer_b, since=day, until=day).totals["total"] == 2
    assert selectors.passage_figures(actor=world.district_office, since=day, until=day).totals["total"] == 8


def test_a_replay_does_not_reveal_a_record_of_a_gate_the_sender_cannot_see(world, gates, now):
    theirs = Passage.objects.filter(checkpoint=gates["east"]).first()
    d = draft(gates["east"], at=theirs.at, uid=theirs.uid, **VISITOR)
    with pytest.raises(services.BatchInvalid):
        record(world.checkpoint_staff_b, d)


def test_staff_are_posted_only_to_gates_they_can_see(world, now):
    """Community staff cannot be posted to a street-level road gate: they could not see it
    (reads are scoped), so the posting is refused rather than silently useless."""
    road = gate(world, name="路口卡点", org=world.street_a, kind="road", staff=[])
    from lianfang.core.errors import DomainError

    with pytest.raises(DomainError) as e:
        services.checkpoint_staff_set(actor=world.street_officer_a, checkpoint=road, users=[world.checkpoint_staff_a], via=COMMAND)
    assert e.value.field == "staff" and not road.staff.exists()
    # Whoever is posted sees and records at the gate.
    street_staff = make_user(username="gate_street_a", role=Role.CHECKPOINT_STAFF, jurisdiction=world.street_a)
    services.checkpoint_staff_set(actor=world.street_officer_a, checkpoint=road, users=[street_staff], via=COMMAND)
    assert selectors.access_checkpoint(actor=street_staff, uid=road.uid) == road
    (result,) = record(street_staff, draft(road, at=now, **VISITOR))
    assert result.created


def test_a_user_without_jurisdiction_sees_nothing(world, gates):
    stray = make_user(username="stray", role=Role.CHECKPOINT_STAFF, jurisdiction=world.community_a)
    stray.jurisdiction = None
    assert not gates_seen(stray) and not passages_seen(stray) and not referrals_seen(stray)


# --- through the API ------------------------------------------------------------------------

def _uids(rows, key="uid"):
    return {r[key] for r in rows}


def test_the_api_gives_staff_only_their_gates_and_records(world, gates, token_client):
    api = token_client(world.checkpoint_staff_a)
    assert _uids(api("get", "/api/checkpoints").json()["items"]) == {str(gates["east"].uid)}
    rows = api("get", "/api/passages").json()["items"]
    assert {r["checkpoint"] for r in rows} == {str(gates["east"].uid)} and len(rows) == 2
    assert api("get", f"/api/checkpoints/{gates['west'].uid}").status_code == 404
    assert api("get", f"/api/checkpoints/{gates['b'].uid}").status_code == 404
    assert api("get", f"/api/passages?checkpoint={gates['west'].uid}").status_code == 404
    assert {r["checkpoint_name"] for r in api("get", "/api/referrals").json()["items"]} == {"东门"}
    figures = api("get", f"/api/passages/figures?since={dt.date(2024, 3, 4)}&until={dt.date(2024, 3, 4)}").json()
    assert figures["totals"]["total"] == 2
    assert {r["checkpoint"] for r in figures["by_checkpoint_day"]} == {str(gates["east"].uid)}
    assert _uids(api("get", "/api/duty-now").json(), "checkpoint") == {str(gates["east"].uid)}


def test_the_api_never_shows_street_b_to_street_a(world, gates, token_client):
    api = token_client(world.street_officer_a)
    assert str(gates["b"].uid) not in _uids(api("get", "/api/checkpoints").json()["items"])
    assert str(gates["b"].uid) not in {r["checkpoint"] for r in api("get", "/api/passages").json()["items"]}
    assert api("get", f"/api/checkpoints/{gates['b'].uid}").status_code == 404
    assert api("get", f"/api/checkpoints/{gates['b'].uid}/exits").status_code == 404
    assert api("get", f"/api/checkpoints/{gates['b'].uid}/shifts").status_code == 404
    assert api("get", f"/api/passages?org={world.community_b.code}").status_code == 404
    referral_b = Passage.objects.get(checkpoint=gates["b"], is_fever=True).referral
    assert api("post", f"/api/referrals/{referral_b.uid}/acknowledge").status_code == 404


def test_the_api_refuses_staff_recording_at_a_gate_they_are_not_posted_to(world, gates, token_client, now):
    api = token_client(world.checkpoint_staff_a)
    body = {"uid": "6f1c0a52-6b0e-4d4c-9a43-9d7f0f7f0a01", "checkpoint": str(gates["west"].uid), "at": now.isoformat(),
            "direction": "in", "temperature": "36.5", **VISITOR}
    response = api("post", "/api/passages", body)
    assert response.status_code == 400 and response.json()["code"] == "checkpoint"
    assert not Passage.objects.filter(uid=body["uid"]).exists()
