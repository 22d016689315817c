"""The JSON API of the checkpoints app: single and batch endpoints (idempotent), errors,
cards, rosters and referrals."""

import datetime as dt
import uuid

import pytest

from lianfang.core.models import AuditEntry
from lianfang.quarantine.models import Alert
from lianfang.quarantine.tests.factories import watch

from ..models import Checkpoint, PassCard, Passage, Referral
from .conftest import DAY, local
from .factories import card, code, gate

VISITOR = {"name": "访客", "phone": "13912345678"}


def body(g, *, at, **kw):
    return {"uid": str(uuid.uuid4()), "checkpoint": str(g.uid), "at": at.isoformat(), "direction": "in", "temperature": "36.5",
            **VISITOR, **kw}


@pytest.fixture
def staff_api(world, token_client):
    return token_client(world.checkpoint_staff_a)


# --- passages -------------------------------------------------------------------------------

def test_one_passage_is_created_then_answered_as_stored_on_replay(world, now, staff_api):
    g = gate(world)
    record = body(g, at=now, id_number=world.resident_a.id_number, name="", phone="")
    first = staff_api("post", "/api/passages", record)
    assert first.status_code == 201, first.content
    again = staff_api("post", "/api/passages", record)
    assert again.status_code == 200 and again.json()["created"] is False
    out = first.json()
    assert out["created"] is True and out["uid"] == record["uid"] and out["outcome"] == "passed"
    assert out["name"] == world.resident_a.name
    assert world.resident_a.id_number not in first.content.decode(), "the ID number is masked"
    assert Passage.objects.count() == 1


def test_a_batch_is_stored_once_and_a_replay_answers_every_record(world, now, staff_api):
    g = gate(world)
    records = [body(g, at=now - dt.timedelta(minutes=i)) for i in range(4)]
    first = staff_api("post", "/api/passages/batch", {"records": records[:3]})
    assert first.status_code == 200 and (first.json()["stored"], first.json()["replayed"]) == (3, 0)
    second = staff_api("post", "/api/passages/batch", {"records": records})
    assert (second.json()["stored"], second.json()["replayed"]) == (1, 3)
    assert [r["uid"] for r in second.json()["results"]] == [r["uid"] for r in records]
    assert [r["created"] for r in second.json()["results"]] == [False, False, False, True]
    assert Passage.objects.count() == 4


def test_a_bad_batch_answers_422_with_every_error_and_stores_nothing(world, now, staff_api):
    g = gate(world)
    records = [body(g, at=now), body(g, at=now, plate="京12345"), body(g, at=now, temperature="45"), body(g, at=now, card="LFP1:x:y")]
    response = staff_api("post", "/api/passages/batch", {"records": records})
    assert response.status_code == 422
    out = response.json()
    assert out["code"] == "batch_invalid" and "Nothing was stored" in out["detail"]
    assert [(e["index"], e["field"], e["code"], e["uid"]) for e in out["errors"]] == [
        (1, "plate", "plate", records[1]["uid"]), (2, "temperature", "temperature", records[2]["uid"]),
        (3, "card", "card_unknown", records[3]["uid"])]
    assert all(e["message"] for e in out["errors"])
    assert not Passage.objects.exists()


def test_an_oversized_batch_is_refused_with_a_clear_error(world, now, staff_api):
    g = gate(world)
    records = [body(g, at=now - dt.timedelta(seconds=i)) for i in range(501)]
    response = staff_api("post", "/api/passages/batch", {"records": records})
    assert response.status_code == 400 and response.json()["code"] == "batch_too_large"
    assert not Passage.objects.exists()


def test_a_single_bad_record_names_its_field(world, now, staff_api):
    g = gate(world)
    response = staff_api("post", "/api/passages", body(g, at=now, temperature="3.6"))
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("temperature", "temperature")
    assert "36" in response.json()["detail"]  # suggests the likely value
    response = staff_api("post", "/api/passages", body(g, at=now, card=code(card(world)), name="", phone="", plate="ABC"))
    assert (response.status_code, response.json()["field"]) == (400, "plate")
    assert not Passage.objects.exists()


@pytest.mark.parametrize("broken", [{"uid": "123"}, {"at": "tomorrow"}, {"checkpoint": "nope"}, {"direction": None}])
def test_a_malformed_record_is_refused_before_the_service(world, now, staff_api, broken):
    g = gate(world)
    response = staff_api("post", "/api/passages/batch", {"records": [body(g, at=now), {**body(g, at=now), **broken}]})
    assert response.status_code == 422
    assert not Passage.objects.exists()


def test_a_naive_time_from_the_phone_is_local_time(world, now, staff_api):
    g = gate(world)
    record = body(g, at=now)
    record["at"] = "2024-03-04T08:15:00"
    assert staff_api("post", "/api/passages", record).status_code == 201
    assert Passage.objects.get().at == local(DAY, 8, 15)


def test_a_quarantined_household_card_going_out_is_stopped_through_the_api(world, now, staff_api):
    watch(world, "a")
    g, c = gate(world), card(world)
    check = staff_api("get", f"/api/pass-cards/check?code={code(c)}").json()
    assert check["exit_blocked"] is True and check["quarantined"] == [world.resident_a.name]
    out = staff_api("post", "/api/passages", body(g, at=now, direction="out", temperature=None, card=code(c), name="", phone="")).json()
    assert out["is_breach"] is True and out["outcome"] == "turned_back" and out["notes"]
    assert Alert.objects.filter(kind="breach").count() == 1


def test_a_fever_through_the_api_is_referred_and_the_referral_is_handled(world, now, staff_api, token_client):
    g = gate(world)
    out = staff_api("post", "/api/passages", body(g, at=now, temperature=38.1)).json()
    assert out["outcome"] == "referred" and out["is_fever"] is True
    referral = Referral.objects.get()
    assert staff_api("post", f"/api/referrals/{referral.uid}/acknowledge").status_code == 403
    grid = token_client(world.grid_worker_a)
    listed = grid("get", "/api/referrals?open_only=true").json()["items"]
    assert [r["uid"] for r in listed] == [str(referral.uid)] and listed[0]["reasons"] == ["fever"]
    assert grid("post", f"/api/referrals/{referral.uid}/acknowledge").json()["status"] == "acknowledged"
    assert grid("post", f"/api/referrals/{referral.uid}/acknowledge").status_code == 400
    assert grid("post", f"/api/referrals/{referral.uid}/close", {"disposition": "other"}).status_code == 400
    closed = grid("post", f"/api/referrals/{referral.uid}/close", {"disposition": "ruled_out"}).json()
    assert closed["status"] == "closed" and closed["closed_at"]
    assert grid("get", "/api/referrals?open_only=true").json()["items"] == []


@pytest.mark.parametrize("who", ["supervision", "doctor_a"])
def test_roles_without_the_capability_cannot_record_through_the_api(world, now, token_client, who):
    g = gate(world)
    response = token_client(getattr(world, who))("post", "/api/passages", body(g, at=now))
    assert response.status_code == 403
    assert not Passage.objects.exists()


def test_the_passage_ledger_is_masked_and_reading_it_is_audited(world, now, token_client):
    g = gate(world)
    officer = token_client(world.street_officer_a)
    officer("post", "/api/passages", body(g, at=now, id_number=world.resident_a.id_number, name="", phone=""))
    rows = officer("get", "/api/passages").json()["items"]
    assert len(rows) == 1 and rows[0]["id_number"] != world.resident_a.id_number and "*" in rows[0]["id_number"]
    assert rows[0]["phone"] != world.resident_a.phone
    assert AuditEntry.objects.filter(object_type="passage_ledger", actor=world.street_officer_a).exists()


def test_the_api_does_not_answer_a_replay_of_a_record_from_a_gate_the_caller_cannot_see(world, now, token_client):
    g = gate(world)
    record = body(g, at=now, id_number=world.resident_a.id_number, name="", phone="")
    assert token_client(world.checkpoint_staff_a)("post", "/api/passages", record).status_code == 201
    response = token_client(world.checkpoint_staff_b)("post", "/api/passages", record)
    assert response.status_code in (400, 404), response.json()
    assert world.resident_a.name not in response.content.decode()


# --- checkpoints, rosters, cards ----------------------------------------------------------------

def test_a_gate_is_set_up_staffed_and_changed_through_the_api(world, now, token_client):
    api = token_client(world.grid_worker_a)
    created = api("post", "/api/checkpoints", {"org": world.building_a.code, "name": "东门", "kind": "compound_gate",
                                               "equipment": ["tent", "scanner"], "is_single_exit": True,
                                               "shift_starts": ["07:00", "19:00"]})
    assert created.status_code == 201, created.content
    uid = created.json()["uid"]
    assert api("put", f"/api/checkpoints/{uid}/staff", {"usernames": ["gate_a"]}).json() == ["gate_a"]
    assert api("put", f"/api/checkpoints/{uid}/staff", {"usernames": ["nobody"]}).status_code == 400
    second = api("post", "/api/checkpoints", {"org": world.building_a.code, "name": "西门", "is_single_exit": True})
    assert second.status_code == 400 and second.json()["code"] == "single_exit_taken"
    changed = api("put", f"/api/checkpoints/{uid}", {"name": "正门", "kind": "compound_gate", "is_active": False})
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert api("post", "/api/checkpoints", {"org": world.building_a.code, "name": "西门", "is_single_exit": True}).status_code == 201
    assert api("post", "/api/checkpoints", {"org": world.building_b.code, "name": "X"}).status_code == 404


@pytest.mark.parametrize("who", ["checkpoint_staff_a", "supervision"])
def test_staff_and_supervision_cannot_set_up_gates_or_cards_through_the_api(world, token_client, who):
    g = gate(world)
    c = card(world)
    api = token_client(getattr(world, who))
    assert api("post", "/api/checkpoints", {"org": world.building_a.code, "name": "西门"}).status_code in (403, 404)
    assert api("put", f"/api/checkpoints/{g.uid}", {"name": "改", "kind": "road"}).status_code in (403, 404)
    assert api("post", f"/api/checkpoints/{g.uid}/shifts", {"start": str(DAY), "days": 1}).status_code in (403, 404)
    assert api("post", f"/api/pass-cards/{c.uid}/revoke", {"reason": "x"}).status_code in (403, 404)
    assert api("post", "/api/pass-cards", {"household": str(world.household_a.uid)}).status_code in (403, 404)
    assert Checkpoint.objects.get().name == g.name and PassCard.objects.get().status == "active"


def test_shifts_are_planned_staffed_and_shown_on_the_duty_board_through_the_api(world, now, token_client):
    g = gate(world)
    api = token_client(world.street_officer_a)
    planned = api("post", f"/api/checkpoints/{g.uid}/shifts", {"start": str(DAY), "days": 1})
    assert planned.status_code == 201 and len(planned.json()) == 3 and all(s["is_gap"] for s in planned.json())
    day_shift = planned.json()[1]
    assigned = api("post", f"/api/shifts/{day_shift['uid']}/assignments", {"name": "李四", "phone": "13900001234"})
    assert assigned.status_code == 201 and assigned.json()["is_gap"] is False
    assert assigned.json()["assignments"][0]["phone"] != "13900001234"  # masked
    board = token_client(world.checkpoint_staff_a)("get", "/api/duty-now").json()
    assert [(b["checkpoint_name"], b["is_gap"], b["shift"]["uid"]) for b in board] == [("东门", False, day_shift["uid"])]
    handover = token_client(world.checkpoint_staff_a)("post", f"/api/shifts/{day_shift['uid']}/handover", {"note": "一切正常"})
    assert handover.status_code == 200 and handover.json()["handover_note"] == "一切正常"


def test_cards_are_issued_revoked_and_reissued_through_the_api(world, now, token_client):
    api = token_client(world.grid_worker_a)
    issued = api("post", "/api/pass-cards", {"household": str(world.household_a.uid)})
    assert issued.status_code == 201
    card_out = issued.json()
    assert card_out["code"].startswith("LFP1:") and world.resident_a.id_number not in card_out["code"]
    assert api("post", "/api/pass-cards", {"household": str(world.household_a.uid)}).json()["code"] == "card_exists"
    new = api("post", f"/api/pass-cards/{card_out['uid']}/reissue", {"reason": "丢失"})
    assert new.status_code == 201 and new.json()["code"] != card_out["code"]
    old = api("get", f"/api/pass-cards/{card_out['uid']}").json()
    assert old["status"] == "revoked" and old["code"] == "", "a revoked card's code is not shown again"
    assert api("post", f"/api/pass-cards/{card_out['uid']}/revoke", {"reason": "x"}).status_code == 400
    unknown = token_client(world.checkpoint_staff_a)("get", "/api/pass-cards/check?code=LFP1:abc:def")
    assert unknown.status_code == 400 and unknown.json()["code"] == "card_unknown"
    assert token_client(world.street_officer_b)("get", f"/api/pass-cards/{card_out['uid']}").status_code == 404
