"""Living support for people in quarantine (seed 002: cadres buy necessities): who asked, who
brought it and when."""

import uuid

import pytest

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.quarantine import selectors, services
from lianfang.quarantine.models import QuarantineOrder, SupportRequest

from .factories import DAY, at, person, watch  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(world, frozen):
    frozen(at(DAY, 9))
    return watch(world, "a")


def ask(actor, order, kind="groceries", detail="大米5公斤，食用油一桶", uid=None):
    return services.support_request_open(actor=actor, order=order, uid=uid or uuid.uuid4(), kind=kind, detail=detail, via=COMMAND)


def close(actor, request, status, **kw):
    return services.support_request_close(actor=actor, request=request, status=status, via=COMMAND, **kw)


def test_a_request_records_who_and_when(world, order):
    request, created = ask(world.grid_worker_a, order, "medicine", "  降压药 ")
    assert created
    request.refresh_from_db()
    assert (request.status, request.kind, request.detail) == ("open", "medicine", "降压药")
    assert (request.created_by, request.requested_at) == (world.grid_worker_a, at(DAY, 9))
    assert [r.pk for r in selectors.support_request_list(actor=world.street_officer_a, status="open")] == [request.pk]


def test_a_request_is_idempotent_by_uid(world, order):
    uid = uuid.uuid4()
    first, created = ask(world.grid_worker_a, order, uid=uid)
    again, created_again = ask(world.grid_worker_a, order, uid=uid)
    assert created and not created_again and again.pk == first.pk
    assert SupportRequest.objects.count() == 1


def test_a_uid_cannot_be_reused_for_another_person(world, order):
    other = watch(world, "b")
    uid = uuid.uuid4()
    ask(world.district_office, order, uid=uid)
    with pytest.raises(DomainError) as e:
        ask(world.district_office, other, uid=uid)
    assert e.value.code == "uid_conflict"
    assert not SupportRequest.objects.filter(order=other).exists()


@pytest.mark.parametrize("kind,detail,field", [("car", "x", "kind"), ("groceries", "", "detail"), ("groceries", "   ", "detail")])
def test_a_request_says_what_is_needed(world, order, kind, detail, field):
    with pytest.raises(DomainError) as e:
        ask(world.grid_worker_a, order, kind, detail)
    assert e.value.field == field
    assert not SupportRequest.objects.exists()


def test_a_request_needs_a_uid(world, order):
    with pytest.raises(DomainError) as e:
        services.support_request_open(actor=world.grid_worker_a, order=order, uid=None, kind="groceries", detail="x", via=COMMAND)
    assert e.value.field == "uid"


def test_no_request_for_an_ended_order(world, order):
    services.quarantine_order_end(actor=world.street_officer_a, order=order, status="cancelled", reason="录入错误", via=COMMAND)
    with pytest.raises(DomainError) as e:
        ask(world.grid_worker_a, QuarantineOrder.objects.get(pk=order.pk))
    assert e.value.code == "ended"


def test_no_request_for_an_order_ended_meanwhile(world, order):
    services.quarantine_order_end(actor=world.street_officer_a, order=order, status="cancelled", reason="录入错误", via=COMMAND)
    with pytest.raises(DomainError):
        ask(world.grid_worker_a, order)  # the instance the page loaded before the order ended


def test_fulfilled_records_who_brought_it_and_when(world, order, frozen):
    request, _ = ask(world.grid_worker_a, order)
    frozen(at(DAY, 16, 30))
    request = close(world.street_officer_a, request, "fulfilled", fulfilled_by_name=" 志愿者老张 ", note="已送到门口")
    request.refresh_from_db()
    assert (request.status, request.fulfilled_by, request.fulfilled_by_name, request.fulfilled_at, request.note) == (
        "fulfilled", world.street_officer_a, "志愿者老张", at(DAY, 16, 30), "已送到门口")
    assert list(selectors.support_request_list(actor=world.street_officer_a, status="open")) == []
    assert [r.pk for r in selectors.support_request_list(actor=world.street_officer_a, status="fulfilled")] == [request.pk]


def test_fulfilled_without_a_name_is_the_actor(world, order):
    request, _ = ask(world.grid_worker_a, order)
    request = close(world.grid_worker_a, request, "fulfilled")
    assert request.fulfilled_by_name == str(world.grid_worker_a) and request.fulfilled_by == world.grid_worker_a


def test_cancelled_needs_a_reason_and_records_no_fulfilment(world, order):
    request, _ = ask(world.grid_worker_a, order)
    with pytest.raises(DomainError) as e:
        close(world.grid_worker_a, request, "cancelled", note=" ")
    assert e.value.field == "note"
    request = close(world.grid_worker_a, request, "cancelled", note="家属已送")
    request.refresh_from_db()
    assert (request.status, request.note, request.fulfilled_by, request.fulfilled_at) == ("cancelled", "家属已送", None, None)


def test_a_closed_request_stays_closed(world, order):
    request, _ = ask(world.grid_worker_a, order)
    close(world.grid_worker_a, request, "fulfilled")
    for status in ("fulfilled", "cancelled", "open"):
        with pytest.raises(DomainError) as e:
            close(world.grid_worker_a, request, status, note="x")
        assert e.value.code == "bad_transition"


def test_an_open_request_cannot_reopen(world, order):
    request, _ = ask(world.grid_worker_a, order)
    with pytest.raises(DomainError) as e:
        close(world.grid_worker_a, request, "open")
    assert e.value.code == "bad_transition"


@pytest.mark.parametrize("who", ["doctor_a", "police_a", "checkpoint_staff_a"])
def test_roles_without_living_support_cannot_open_or_fulfil(world, order, who):
    actor = getattr(world, who)
    with pytest.raises(PermissionDenied):
        ask(actor, order)
    request, _ = ask(world.grid_worker_a, order)
    with pytest.raises(PermissionDenied):
        close(actor, request, "fulfilled")


def test_mine_lists_the_requests_of_the_cadres_people(world, order):
    other = watch(world, "a", resident=person(world, "a", "李四"),
                  doctor=world.grid_worker_a)
    mine, _ = ask(world.street_officer_a, order)
    ask(world.street_officer_a, other)
    assert [r.pk for r in selectors.support_request_list(actor=world.doctor_a, mine=True)] == [mine.pk]
    assert len(selectors.support_request_list(actor=world.street_officer_a)) == 2
