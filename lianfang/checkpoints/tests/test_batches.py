"""Offline queues sent as batches: idempotent by the phone's uid, all or nothing."""

import datetime as dt
import uuid

import pytest
from django.db import connection

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError
from lianfang.core.models import AuditEntry
from lianfang.quarantine.models import Alert
from lianfang.quarantine.tests.factories import watch

from .. import services
from ..models import Passage, Referral
from .conftest import DAY, local
from .factories import card, code, draft, gate, record

VISITOR = {"name": "访客", "phone": "13912345678"}


def visitors(g, n, *, start):
    return [draft(g, at=start + dt.timedelta(minutes=i), **VISITOR) for i in range(n)]


def batch_audits():
    return AuditEntry.objects.filter(object_type="passage")


# --- idempotency ----------------------------------------------------------------------------

def test_a_replayed_batch_stores_each_record_once(world, now):
    g = gate(world)
    batch = visitors(g, 5, start=now - dt.timedelta(hours=1))
    first = record(world.checkpoint_staff_a, *batch)
    again = record(world.checkpoint_staff_a, *batch)
    assert [r.created for r in first] == [True] * 5 and [r.created for r in again] == [False] * 5
    assert Passage.objects.count() == 5
    assert [r.passage.pk for r in again] == [r.passage.pk for r in first]


def test_partially_overlapping_batches_store_each_record_once(world, now):
    g = gate(world)
    queue = visitors(g, 6, start=now - dt.timedelta(hours=1))
    record(world.checkpoint_staff_a, *queue[:4])
    results = record(world.checkpoint_staff_a, *queue[2:])
    assert [r.created for r in results] == [False, False, True, True]
    assert sorted(Passage.objects.values_list("uid", flat=True)) == sorted(d.uid for d in queue)


def test_batches_arriving_out_of_order_store_everything_with_the_gates_times(world, now):
    g = gate(world)
    queue = visitors(g, 6, start=now - dt.timedelta(hours=2))
    record(world.checkpoint_staff_a, *queue[3:])  # the later half arrives first
    record(world.checkpoint_staff_a, *queue[:3])
    record(world.checkpoint_staff_a, *reversed(queue))  # and everything again, backwards
    assert Passage.objects.count() == 6
    assert list(Passage.objects.order_by("at").values_list("uid", flat=True)) == [d.uid for d in queue]


def test_the_same_record_twice_in_one_batch_is_stored_once(world, now):
    g = gate(world)
    d = draft(g, at=now, **VISITOR)
    results = record(world.checkpoint_staff_a, d, d)
    assert [r.created for r in results] == [True, False]
    assert results[0].passage is results[1].passage or results[0].passage.pk == results[1].passage.pk
    assert Passage.objects.count() == 1


def test_the_same_record_twice_in_one_batch_tells_the_gate_the_same_thing_both_times(world, now):
    watch(world, "a")
    g = gate(world)
    d = draft(g, at=now, direction="out", temperature=None, id_number=world.resident_a.id_number)
    first, second = record(world.checkpoint_staff_a, d, d)
    assert first.notes and [str(n) for n in second.notes] == [str(n) for n in first.notes]


def test_one_uid_for_two_checkpoints_in_one_batch_is_a_conflict(world, now):
    g1, g2 = gate(world), gate(world, name="西门")
    uid = uuid.uuid4()
    with pytest.raises(services.BatchInvalid) as e:
        record(world.checkpoint_staff_a, draft(g1, at=now, uid=uid, **VISITOR), draft(g2, at=now, uid=uid, **VISITOR))
    assert [x.code for x in e.value.errors] == ["uid_conflict"]
    assert not Passage.objects.exists()


def test_a_uid_already_stored_for_another_checkpoint_is_a_conflict_and_nothing_is_stored(world, now):
    g1, g2 = gate(world), gate(world, name="西门")
    uid = uuid.uuid4()
    record(world.checkpoint_staff_a, draft(g1, at=now, uid=uid, **VISITOR))
    fresh = draft(g2, at=now, **VISITOR)
    with pytest.raises(services.BatchInvalid) as e:
        record(world.checkpoint_staff_a, fresh, draft(g2, at=now, uid=uid, **VISITOR))
    assert [(x.index, x.code) for x in e.value.errors] == [(1, "uid_conflict")]
    assert list(Passage.objects.values_list("uid", flat=True)) == [uid]


def test_a_replay_is_matched_whatever_the_spelling_of_the_uids(world, now):
    g = gate(world)
    uid = uuid.uuid4()
    record(world.checkpoint_staff_a, draft(g, at=now, uid=uid, **VISITOR))
    d = draft(g, at=now, uid=str(uid).upper(), **VISITOR)
    d.checkpoint = str(g.uid).upper()
    (again,) = record(world.checkpoint_staff_a, d)
    assert not again.created and Passage.objects.count() == 1


def test_a_replayed_record_whose_card_was_revoked_since_is_still_answered_as_stored(world, now):
    g, c = gate(world), card(world)
    old = draft(g, at=now - dt.timedelta(hours=1), card=code(c))
    record(world.checkpoint_staff_a, old)
    services.pass_card_revoke(actor=world.street_officer_a, card=c, reason="丢失", via=COMMAND)
    new = draft(g, at=now, **VISITOR)
    replayed, stored = record(world.checkpoint_staff_a, old, new)
    assert (replayed.created, replayed.passage.card_id) == (False, c.pk)
    assert stored.created and Passage.objects.count() == 2


def test_a_replayed_record_older_than_30_days_is_still_answered_as_stored(world, now, frozen):
    g = gate(world)
    d = draft(g, at=now - dt.timedelta(days=1), **VISITOR)
    record(world.checkpoint_staff_a, d)
    frozen(now + dt.timedelta(days=40))
    (again,) = record(world.checkpoint_staff_a, d)
    assert not again.created


def test_a_replayed_record_of_a_gate_since_out_of_service_is_still_answered(world, now):
    g = gate(world)
    d = draft(g, at=now, **VISITOR)
    record(world.checkpoint_staff_a, d)
    services.checkpoint_update(actor=world.street_officer_a, checkpoint=g, name=g.name, kind=g.kind, is_active=False, via=COMMAND)
    (again,) = record(world.checkpoint_staff_a, d)
    assert not again.created


def test_a_replay_of_a_fever_raises_no_second_referral(world, now):
    g = gate(world)
    d = draft(g, at=now, temperature="38.0", **VISITOR)
    record(world.checkpoint_staff_a, d)
    record(world.checkpoint_staff_a, d)
    assert Referral.objects.count() == 1


def test_a_replayed_breach_in_a_larger_batch_raises_only_the_new_alerts(world, now):
    watch(world, "a")
    g = gate(world)
    out = draft(g, at=now - dt.timedelta(minutes=5), direction="out", temperature=None, id_number=world.resident_a.id_number)
    record(world.checkpoint_staff_a, out)
    out2 = draft(g, at=now, direction="out", temperature=None, id_number=world.resident_a.id_number)
    record(world.checkpoint_staff_a, out, out2)
    assert Alert.objects.count() == 2 and Passage.objects.filter(is_breach=True).count() == 2


# --- all or nothing -------------------------------------------------------------------------

def test_an_invalid_record_refuses_the_whole_batch_and_lists_every_error_by_position(world, now):
    g = gate(world)
    batch = [draft(g, at=now, **VISITOR), draft(g, at=now, temperature="50", **VISITOR), draft(g, at=now, **VISITOR),
             draft(g, at=now, plate="京12345", **VISITOR), draft(g, at=now + dt.timedelta(hours=2), **VISITOR)]
    with pytest.raises(services.BatchInvalid) as e:
        record(world.checkpoint_staff_a, *batch)
    assert [(x.index, x.field, x.uid) for x in e.value.errors] == [
        (1, "temperature", str(batch[1].uid)), (3, "plate", str(batch[3].uid)), (4, "at", str(batch[4].uid))]
    assert "Nothing was stored" in str(e.value.message)
    assert not Passage.objects.exists() and not Referral.objects.exists() and not batch_audits().exists()


def test_a_fever_in_a_refused_batch_raises_no_referral_and_a_breach_no_alert(world, now):
    watch(world, "a")
    g = gate(world)
    batch = [draft(g, at=now, temperature="39", **VISITOR),
             draft(g, at=now, direction="out", temperature=None, id_number=world.resident_a.id_number),
             draft(g, at=now, name="", phone="")]
    with pytest.raises(services.BatchInvalid):
        record(world.checkpoint_staff_a, *batch)
    assert not Referral.objects.exists() and not Alert.objects.exists()


def test_an_empty_batch_is_refused(world, now):
    with pytest.raises(DomainError) as e:
        record(world.checkpoint_staff_a)
    assert e.value.code == "batch_empty"


def test_an_oversized_batch_is_refused_whole_with_a_clear_error(world, now):
    g = gate(world)
    with pytest.raises(DomainError) as e:
        record(world.checkpoint_staff_a, *visitors(g, services.MAX_BATCH + 1, start=now - dt.timedelta(days=1)))
    assert e.value.code == "batch_too_large" and "500" in str(e.value.message)
    assert not Passage.objects.exists()


def test_a_batch_of_the_maximum_size_is_stored(world, now):
    g = gate(world)
    results = record(world.checkpoint_staff_a, *visitors(g, services.MAX_BATCH, start=now - dt.timedelta(days=1)))
    assert len(results) == Passage.objects.count() == services.MAX_BATCH


@pytest.mark.parametrize("uid", ["", None, "not-a-uuid", 12])
def test_a_record_without_a_proper_uid_is_refused(world, now, uid):
    g = gate(world)
    d = draft(g, at=now, **VISITOR)
    d.uid = uid
    with pytest.raises(services.BatchInvalid) as e:
        record(world.checkpoint_staff_a, draft(g, at=now, **VISITOR), d)
    assert [(x.index, x.code) for x in e.value.errors] == [(1, "uid")]
    assert not Passage.objects.exists()


def test_an_unknown_checkpoint_is_refused(world, now):
    g = gate(world)
    d = draft(g, at=now, **VISITOR)
    d.checkpoint = uuid.uuid4()
    with pytest.raises(services.BatchInvalid) as e:
        record(world.checkpoint_staff_a, d)
    assert e.value.errors[0].code == "checkpoint"


# --- audit and cost -------------------------------------------------------------------------

def test_one_audit_row_per_stored_batch_and_none_for_a_pure_replay(world, now):
    g = gate(world)
    batch = visitors(g, 3, start=now - dt.timedelta(hours=1))
    record(world.checkpoint_staff_a, *batch)
    record(world.checkpoint_staff_a, *batch)
    record(world.checkpoint_staff_a, *batch, draft(g, at=now, **VISITOR))
    rows = list(batch_audits().order_by("id"))
    assert [r.detail for r in rows] == [{"stored": 3, "replayed": 0}, {"stored": 1, "replayed": 3}]
    assert {(r.actor_id, r.org_path, r.channel) for r in rows} == {(world.checkpoint_staff_a.pk, g.org_path, "command")}


QUERY_BUDGET = 20


@pytest.mark.parametrize("n", [27, 198])
def test_the_queries_of_a_batch_do_not_grow_with_its_size(world, now, django_assert_max_num_queries, n):
    """Records mixing cards, ID numbers, visitors, vehicles and fevers, in and out; one person
    under quarantine coming in (not a breach). SQLite splits the passage INSERT by its parameter
    limit (6 statements for 200 rows); everything else is one query per batch."""
    watch(world, "a")
    g = gate(world)
    c = card(world)
    cb = card(world, "b")
    start = now - dt.timedelta(hours=5)
    kinds = [dict(card=code(c)), dict(card=code(cb)), dict(id_number=world.resident_a.id_number),
             dict(id_number=world.resident_b.id_number), VISITOR, dict(temperature="38.0", **VISITOR),
             dict(direction="out", card=code(cb)), dict(direction="out", id_number=world.resident_b.id_number),
             dict(direction="out", plate="京A12345", disinfected=True, **VISITOR)]
    batch = [draft(g, at=start + dt.timedelta(seconds=i), **kinds[i % len(kinds)]) for i in range(n)]
    with django_assert_max_num_queries(QUERY_BUDGET) as ctx:
        record(world.checkpoint_staff_a, *batch)
    print(f"\n{n} records: {len(ctx.captured_queries)} queries")
    assert Passage.objects.count() == n
    with django_assert_max_num_queries(QUERY_BUDGET) as ctx:
        record(world.checkpoint_staff_a, *batch)
    print(f"{n} records replayed: {len(ctx.captured_queries)} queries")


# --- two replays at once (PostgreSQL) --------------------------------------------------------

@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_phones_sending_the_same_batch_at_once_store_it_once_and_both_are_answered(world):
    """The first send holds its transaction open while the second arrives: the second's insert
    waits on the unique uid, fails when the first commits, and is answered as a replay."""
    from .test_checkpoints import race

    clock.set_now(local(DAY, 10))
    try:
        watch(world, "a")
        g = gate(world)
        batch = visitors(g, 20, start=local(DAY, 9)) + [
            draft(g, at=local(DAY, 9, 30), direction="out", temperature=None, id_number=world.resident_a.id_number)]
        out1, out2 = race(lambda: record(world.checkpoint_staff_a, *batch), lambda: record(world.checkpoint_staff_a, *batch))
        assert "value" in out1 and "value" in out2, (out1, out2)
        assert [r.created for r in out1["value"]] == [True] * len(batch)
        assert [r.created for r in out2["value"]] == [False] * len(batch)
        assert out2["value"][-1].passage.is_breach
        assert Passage.objects.count() == len(batch) and Alert.objects.count() == 1
        assert batch_audits().count() == 1
    finally:
        clock.set_now(None)
