import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditEntry
from lianfang.core.tests.factories import make_id_number, make_resident
from lianfang.quarantine.models import KeyPerson, QuarantineOrder
from lianfang.tracing.models import Case, ClassificationChange, Contact, TrajectoryEntry
from lianfang.tracing.services import (
    case_classify,
    case_update,
    contact_hand_over,
    contact_to_case,
    trajectory_add,
    trajectory_remove,
)

from .factories import add_contact, register_case

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(dt.datetime(2022, 1, 10, 9, 0))


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


def test_a_resident_case_is_scoped_where_they_live_and_watched(world):
    case = register_case(actor=world.street_officer_a, resident=world.resident_a, classification="confirmed")
    assert case.org_path == world.resident_a.org_path and case.name == world.resident_a.name and case.id_number is None
    assert case.confirmed_on == clock.today()
    assert case.key_person.category == "confirmed_case" and case.key_person.source == "tracing"
    assert [(h.from_value, h.to_value) for h in case.classification_changes.all()] == [("", "confirmed")]
    assert AuditEntry.objects.filter(object_type="case", object_ref=str(case.uid), action="create").exists()


def test_a_case_from_elsewhere_is_typed_in_and_scoped_to_the_reporting_unit(world):
    number = make_id_number(region="420106")
    case = register_case(actor=world.street_officer_a, name="外地病例", id_number=number, phone="13900001111",
                         org=world.community_a)
    assert case.resident is None and case.id_number == number and case.org_path == world.community_a.path
    assert case.key_person is None


def test_a_case_cannot_be_reported_into_another_street(world):
    with pytest.raises(PermissionDenied):
        register_case(actor=world.street_officer_a, org=world.community_b)
    with pytest.raises(PermissionDenied):
        register_case(actor=world.street_officer_a, resident=world.resident_b)


def test_it_refuses_a_second_open_case_of_the_same_person(world):
    register_case(actor=world.street_officer_a, resident=world.resident_a)
    with pytest.raises(DomainError) as e:
        register_case(actor=world.street_officer_a, resident=world.resident_a)
    assert e.value.code == "open_case"


def test_classification_changes_keep_their_history_and_move_the_key_person(world):
    case = register_case(actor=world.street_officer_a, resident=world.resident_a)
    assert case.key_person.category == "suspected_case"
    case_classify(actor=world.doctor_a, case=case, classification="confirmed", reason="核酸阳性", via=COMMAND)
    case.refresh_from_db()
    assert case.classification == "confirmed" and case.confirmed_on == clock.today()
    history = list(ClassificationChange.objects.filter(case=case).values_list("from_value", "to_value", "reason"))
    assert history == [("", "suspected", "Registered"), ("suspected", "confirmed", "核酸阳性")]
    kp = KeyPerson.objects.get(pk=case.key_person_id)
    assert kp.category == "confirmed_case" and kp.events.filter(kind="category", to_value="confirmed_case").exists()


def test_it_refuses_a_classification_change_out_of_order(world):
    case = register_case(actor=world.street_officer_a, resident=world.resident_a, classification="confirmed")
    with pytest.raises(DomainError) as e:
        case_classify(actor=world.street_officer_a, case=case, classification="suspected", via=COMMAND)
    assert e.value.code == "bad_transition"
    with pytest.raises(DomainError) as e:  # excluding needs a reason
        case_classify(actor=world.street_officer_a, case=case, classification="excluded", via=COMMAND)
    assert e.value.field == "reason"


def test_the_database_refuses_a_confirmed_case_without_a_date(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(classification="confirmed", confirmed_on=None)


def test_a_trajectory_entry_ending_before_it_starts_is_refused(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    start = NOW - dt.timedelta(days=2)
    with pytest.raises(DomainError) as e:
        trajectory_add(actor=world.street_officer_a, case=case, place="万家喜超市", started_at=start,
                       ended_at=start - dt.timedelta(hours=1), via=COMMAND)
    assert e.value.field == "ended_at"
    with pytest.raises(IntegrityError), transaction.atomic():  # and so does the database
        TrajectoryEntry.objects.create(case=case, place="万家喜超市", started_at=start, ended_at=start - dt.timedelta(hours=1))


def test_trajectory_entries_are_added_and_removed_with_an_audit_row(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    start = NOW - dt.timedelta(days=2)
    entry = trajectory_add(actor=world.street_officer_a, case=case, place="流万智慧农贸市场", started_at=start,
                           ended_at=start + dt.timedelta(hours=1), via=COMMAND)
    assert list(case.trajectory.all()) == [entry]
    trajectory_remove(actor=world.street_officer_a, entry=entry, via=COMMAND)
    assert not case.trajectory.exists()
    details = list(AuditEntry.objects.filter(object_ref=str(case.uid), action="update").values_list("detail", flat=True))
    assert {"trajectory_added": "流万智慧农贸市场"} in details and {"trajectory_removed": "流万智慧农贸市场"} in details


def test_a_resident_contact_becomes_a_key_person_with_an_active_order_at_once(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    contact, created = add_contact(actor=world.street_officer_a, case=case, resident=world.resident_a,
                                   last_exposure_on=clock.today() - dt.timedelta(days=3))
    assert created and contact.status == "quarantined"
    assert contact.key_person.category == "close_contact" and contact.key_person.source == "tracing"
    order = contact.order
    assert order.status == "active" and order.key_person_id == contact.key_person_id and order.kind == "home_quarantine"
    # The period counts from the last exposure.
    assert order.start_date == clock.today() - dt.timedelta(days=3) and order.days == 14
    assert AuditEntry.objects.filter(object_type="case_contact", object_ref=str(contact.uid), action="create").exists()


def test_a_contact_found_by_id_number_is_the_resident(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    contact, _ = add_contact(actor=world.street_officer_a, case=case, name="随便", id_number=world.resident_a.id_number)
    assert contact.resident == world.resident_a and contact.id_number is None and contact.status == "quarantined"


def test_adding_the_same_contact_again_changes_nothing(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    first, created = add_contact(actor=world.street_officer_a, case=case, resident=world.resident_a)
    again, created_again = add_contact(actor=world.street_officer_a, case=case, id_number=world.resident_a.id_number, name="x")
    uid = uuid.uuid4()
    out1, _ = add_contact(actor=world.street_officer_a, case=case, name="外地人", phone="13900002222", uid=uid)
    out2, created_retry = add_contact(actor=world.street_officer_a, case=case, name="外地人", phone="13900002222", uid=uid)
    assert created and not created_again and again.pk == first.pk
    assert out1.pk == out2.pk and not created_retry
    assert Contact.objects.count() == 2 and KeyPerson.objects.count() == 1 and QuarantineOrder.objects.count() == 1


def test_a_contact_already_under_quarantine_keeps_their_order(world):
    first_case = register_case(actor=world.street_officer_a, name="甲")
    second_case = register_case(actor=world.street_officer_a, name="乙")
    c1, _ = add_contact(actor=world.street_officer_a, case=first_case, resident=world.resident_a)
    c2, created = add_contact(actor=world.street_officer_a, case=second_case, resident=world.resident_a, kind="secondary")
    assert created and c2.pk != c1.pk and c2.order_id == c1.order_id and c2.key_person_id == c1.key_person_id
    assert QuarantineOrder.objects.count() == 1


def test_a_doctor_records_the_contact_and_the_street_orders_the_quarantine(world):
    case = register_case(actor=world.doctor_a, name="甲")
    contact, _ = add_contact(actor=world.doctor_a, case=case, resident=world.resident_a)
    assert contact.status == "traced" and contact.key_person is not None and contact.order is None


def test_a_contact_outside_the_area_is_recorded_and_handed_over(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    # Street b's resident is not street a's to quarantine: typed in, with no hint they are known.
    contact, _ = add_contact(actor=world.street_officer_a, case=case, name="王五", id_number=world.resident_b.id_number,
                             phone="13900003333")
    assert contact.resident is None and contact.status == "traced" and contact.key_person is None
    handed = contact_hand_over(actor=world.street_officer_a, contact=contact, to="西湖街道", via=COMMAND)
    assert handed.status == "handed_over" and handed.handed_over_to == "西湖街道" and handed.handed_over_at == NOW
    with pytest.raises(DomainError):  # only once
        contact_hand_over(actor=world.street_officer_a, contact=handed, to="疾控", via=COMMAND)
    assert KeyPerson.objects.count() == 0


def test_a_hand_over_names_the_receiver(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    contact, _ = add_contact(actor=world.street_officer_a, case=case, name="王五")
    with pytest.raises(DomainError) as e:
        contact_hand_over(actor=world.street_officer_a, contact=contact, to=" ", via=COMMAND)
    assert e.value.field == "to"


def test_a_contact_becomes_a_case_infected_by_the_contacts_case(world):
    source = register_case(actor=world.street_officer_a, name="甲", cluster="万家喜超市")
    contact, _ = add_contact(actor=world.street_officer_a, case=source, resident=world.resident_a)
    case = contact_to_case(actor=world.street_officer_a, contact=contact, classification="confirmed", via=COMMAND)
    contact.refresh_from_db()
    assert case.infected_by == source and case.resident == world.resident_a and case.cluster == "万家喜超市"
    assert contact.status == "became_case" and contact.became_case == case
    # The same key-person file, now a confirmed case.
    assert case.key_person_id == contact.key_person_id
    assert KeyPerson.objects.get(pk=case.key_person_id).category == "confirmed_case"


def test_a_source_case_that_closes_a_loop_is_refused(world):
    a = register_case(actor=world.street_officer_a, name="甲")
    b = register_case(actor=world.street_officer_a, name="乙", infected_by=a)
    with pytest.raises(DomainError) as e:
        case_update(actor=world.street_officer_a, case=a, infected_by=b, via=COMMAND)
    assert e.value.field == "infected_by"


def test_case_status_follows_its_transitions(world):
    case = register_case(actor=world.street_officer_a, name="甲")
    case_update(actor=world.street_officer_a, case=case, status="discharged", hospital="区人民医院", via=COMMAND)
    with pytest.raises(DomainError):
        case_update(actor=world.street_officer_a, case=case, status="under_treatment", via=COMMAND)


def test_roles_without_tracing_may_not_register_cases(world):
    with pytest.raises(PermissionDenied):
        register_case(actor=world.grid_worker_a, name="甲")
    with pytest.raises(PermissionDenied):
        register_case(actor=world.police_a, name="甲")


def test_it_keeps_the_resident_too(world):
    """A resident with a case cannot be removed from the registry under it."""
    other = make_resident(household=world.household_a, name="配偶A")
    register_case(actor=world.street_officer_a, resident=other)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        other.delete()
