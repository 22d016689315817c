import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditEntry
from lianfang.core.tests.factories import make_household, make_id_number, make_resident
from lianfang.registry.models import Resident
from lianfang.screening.models import CandidateStatus, PersonCheck, Presence, Result, ScreeningVisit
from lianfang.screening.services import CheckIn, screening_round_transition, screening_visit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def district_round(world):
    from .factories import open_round

    return open_round(actor=world.district_office, scope=world.district)


def record(world, screening_round, *, household=None, actor=None, uid=None, result=Result.ALL_PRESENT, checks=(), **kw):
    return screening_visit_record(actor=actor or world.grid_worker_a, screening_round=screening_round,
                                  household=household or world.household_a, uid=uid or uuid.uuid4(), method="door",
                                  result=result, checks=list(checks), via=COMMAND, **kw)


def test_it_records_everyone_present_with_one_tap(world, district_round):
    spouse = make_resident(household=world.household_a, name="配偶A")
    visit, created = record(world, district_round)
    assert created and visit.is_latest
    checks = PersonCheck.objects.filter(visit=visit)
    assert {c.resident_id for c in checks} == {world.resident_a.pk, spouse.pk}
    assert all(c.presence == Presence.PRESENT and not c.is_candidate for c in checks)
    assert AuditEntry.objects.filter(object_type="screening_visit", object_ref=str(visit.uid)).count() == 1


def test_a_retried_submission_is_not_duplicated(world, district_round):
    uid = uuid.uuid4()
    first, created = record(world, district_round, uid=uid)
    again, created_again = record(world, district_round, uid=uid)
    assert created and not created_again and again.pk == first.pk
    assert ScreeningVisit.objects.count() == 1 and PersonCheck.objects.count() == 1


def test_a_reused_uid_for_another_household_is_refused(world, district_round):
    uid = uuid.uuid4()
    record(world, district_round, uid=uid)
    other = make_household(org=world.building_a, room="102")
    with pytest.raises(DomainError) as e:
        record(world, district_round, uid=uid, household=other)
    assert e.value.code == "uid_conflict"


def test_nobody_home_is_due_for_a_revisit_next_day_and_the_revisit_replaces_it(world, district_round):
    first, _ = record(world, district_round, result=Result.NOBODY_HOME)
    assert first.revisit_due == timezone.localdate() + dt.timedelta(days=1)
    assert not first.person_checks.exists()
    second, _ = record(world, district_round)
    first.refresh_from_db()
    assert not first.is_latest and second.is_latest and second.revisit_due is None
    assert ScreeningVisit.objects.filter(household=world.household_a).count() == 2


def test_it_flags_a_hubei_returnee_with_the_reason(world, district_round):
    today = timezone.localdate()
    check = CheckIn(resident=world.resident_a, travel=[{"place": "湖北省武汉市", "from": today - dt.timedelta(days=5), "to": today - dt.timedelta(days=2)}])
    visit, _ = record(world, district_round, checks=[check])
    flagged = visit.person_checks.get()
    assert flagged.is_candidate and flagged.candidate_status == CandidateStatus.PENDING
    assert flagged.candidate_reasons[0]["code"] == "risk_area"
    assert flagged.suggested_category == "risk_area_returnee"


def test_a_trip_before_the_lookback_period_is_not_flagged(world, district_round):
    today = timezone.localdate()
    check = CheckIn(resident=world.resident_a, travel=[{"place": "湖北", "from": today - dt.timedelta(days=40), "to": today - dt.timedelta(days=20)}])
    visit, _ = record(world, district_round, checks=[check])
    assert not visit.person_checks.get().is_candidate


@pytest.mark.parametrize("temperature, flagged", [("37.3", True), ("37.2", False)])
def test_fever_starts_at_37_3(world, district_round, temperature, flagged):
    visit, _ = record(world, district_round, checks=[CheckIn(resident=world.resident_a, temperature=temperature)])
    check = visit.person_checks.get()
    assert check.temperature == Decimal(temperature) and check.is_candidate is flagged


def test_it_rejects_temperature_365_and_writes_nothing(world, district_round):
    with pytest.raises(DomainError) as e:
        record(world, district_round, checks=[CheckIn(resident=world.resident_a, temperature="365")])
    assert "36.5" in str(e.value.message)
    assert not ScreeningVisit.objects.exists()


def test_all_present_with_someone_away_is_refused(world, district_round):
    with pytest.raises(DomainError) as e:
        record(world, district_round, checks=[CheckIn(resident=world.resident_a, presence=Presence.AWAY_OUTSIDE)])
    assert e.value.field == "result"


def test_a_new_person_found_at_home_is_registered_once(world, district_round):
    number = make_id_number()
    person = {"name": "新来的", "id_number": number, "phone": "", "relation_to_head": "tenant"}
    record(world, district_round, checks=[CheckIn(new_person=person)])
    # Found again on the revisit: the same resident, not a second one.
    visit, _ = record(world, district_round, checks=[CheckIn(new_person=dict(person, name="新来的人"))])
    assert Resident.objects.filter(id_number=number).count() == 1
    assert visit.person_checks.filter(resident__id_number=number).count() == 1


def test_a_new_person_without_id_number_who_is_already_a_member_is_refused(world, district_round):
    with pytest.raises(DomainError) as e:
        record(world, district_round, checks=[CheckIn(new_person={"name": world.resident_a.name})])
    assert e.value.code == "duplicate"
    assert Resident.objects.filter(name=world.resident_a.name).count() == 1


def test_a_person_registered_in_the_other_street_cannot_be_added(world, district_round):
    with pytest.raises(DomainError):
        record(world, district_round, checks=[CheckIn(new_person={"name": "x", "id_number": world.resident_b.id_number})])
    assert not ScreeningVisit.objects.exists()


def test_a_grid_worker_cannot_visit_the_other_streets_household(world, district_round):
    with pytest.raises(PermissionDenied):
        record(world, district_round, household=world.household_b)


def test_a_closed_round_takes_no_visits(world, district_round):
    screening_round_transition(actor=world.district_office, screening_round=district_round, status="closed", via=COMMAND)
    with pytest.raises(DomainError) as e:
        record(world, district_round)
    assert e.value.code == "round_closed"


def test_a_household_outside_the_rounds_scope_is_refused(world):
    from .factories import open_round

    street_round = open_round(actor=world.street_officer_b, scope=world.street_b)
    with pytest.raises(DomainError) as e:
        record(world, street_round, household=world.household_a, actor=world.district_office)
    assert e.value.code == "out_of_scope"
