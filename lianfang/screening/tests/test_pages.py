import io
import uuid

import pytest
from python_calamine import CalamineWorkbook

from lianfang.core.models import AuditEntry
from lianfang.core.tests.factories import make_household, make_resident
from lianfang.quarantine.models import KeyPerson
from lianfang.screening.models import PersonCheck, ScreeningRound, ScreeningVisit

from .factories import open_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def district_round(world):
    return open_round(actor=world.district_office, scope=world.district)


def visit_url(r, household):
    return f"/screening/{r.uid}/households/{household.uid}/visit/"


def sheet(response) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0).to_python()


def test_a_street_officer_opens_a_round_from_the_page(world, client_for):
    client = client_for(world.street_officer_a)
    form = {"name": "第二轮复排", "scope": world.community_a.code, "number": 2, "starts_on": "2026-11-20", "ends_on": "2026-11-27",
            "risk_areas": "湖北，武汉", "lookback_days": 14, "flag_risk_area": "on", "flag_symptoms": "on"}
    response = client.post("/screening/new/", form)
    screening_round = ScreeningRound.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/screening/{screening_round.uid}/"
    assert screening_round.scope == world.community_a and screening_round.risk_areas == ["湖北", "武汉"]
    assert not screening_round.flag_case_contact


def test_a_bad_round_form_keeps_what_was_typed(world, client_for):
    response = client_for(world.street_officer_a).post("/screening/new/", {
        "name": "复排", "scope": world.street_a.code, "number": 1, "starts_on": "2026-11-20", "ends_on": "2026-11-10",
        "risk_areas": "湖北", "lookback_days": 14, "flag_risk_area": "on"})
    assert response.status_code == 200 and not ScreeningRound.objects.exists()
    body = response.content.decode()
    assert "The round ends before it starts." in body and 'value="复排"' in body


def test_grid_workers_cannot_open_rounds(world, client_for):
    assert client_for(world.grid_worker_a).get("/screening/new/").status_code == 403


def test_recording_an_ordinary_household_is_one_tap(world, client_for, district_round):
    client = client_for(world.grid_worker_a)
    page = client.get(visit_url(district_round, world.household_a))
    assert page.status_code == 200
    assert AuditEntry.objects.filter(action="view", object_type="household", object_ref=str(world.household_a.uid)).exists()
    response = client.post(visit_url(district_round, world.household_a), {"uid": page.context["uid"], "method": "door", "result": "all_present"})
    assert response.status_code == 302 and response["Location"] == f"/screening/{district_round.uid}/today/"
    visit = ScreeningVisit.objects.get()
    assert visit.visitor == world.grid_worker_a and visit.person_checks.get().resident == world.resident_a
    # The same form sent again (double tap, resend) is the same visit.
    client.post(visit_url(district_round, world.household_a), {"uid": page.context["uid"], "method": "door", "result": "all_present"})
    assert ScreeningVisit.objects.count() == 1


def test_a_bad_temperature_is_explained_and_nothing_typed_is_lost(world, client_for, district_round):
    client = client_for(world.grid_worker_a)
    prefix = f"p-{world.resident_a.uid}"
    response = client.post(visit_url(district_round, world.household_a), {
        "uid": str(uuid.uuid4()), "method": "phone", "result": "all_present", f"{prefix}-temperature": "365",
        f"{prefix}-trip0-place": "湖北孝感", f"{prefix}-trip0-to": "2026-01-01", "n0-name": "新租客", "notes": "电话联系"})
    assert response.status_code == 400 and not ScreeningVisit.objects.exists()
    body = response.content.decode()
    assert "Did you mean 36.5?" in body
    assert 'value="湖北孝感"' in body and 'value="新租客"' in body and "电话联系" in body and 'value="phone" checked' in body


def test_a_visit_from_the_page_flags_a_returnee_and_adds_a_newcomer(world, client_for, district_round):
    from django.utils import timezone
    import datetime as dt

    client = client_for(world.grid_worker_a)
    back = timezone.localdate() - dt.timedelta(days=3)
    response = client.post(visit_url(district_round, world.household_a), {
        "uid": str(uuid.uuid4()), "method": "door", "result": "some_away",
        f"p-{world.resident_a.uid}-presence": "away_outside", f"p-{world.resident_a.uid}-whereabouts": "湖北",
        "n0-name": "新租客", "n0-relation_to_head": "tenant", "n0-trip0-place": "湖北武汉", "n0-trip0-to": str(back)})
    assert response.status_code == 302, response.content.decode()[:2000]
    checks = {c.resident.name: c for c in PersonCheck.objects.select_related("resident")}
    assert checks["新租客"].is_candidate and not checks[world.resident_a.name].is_candidate
    assert world.household_a.residents.count() == 2


def test_the_quick_buttons_of_the_work_list_record_and_move_the_bar(world, client_for, district_round):
    client = client_for(world.grid_worker_a)
    page = client.get(f"/screening/{district_round.uid}/today/")
    household = page.context["page_obj"][0]
    assert page.context["total"].visited == 0
    response = client.post(visit_url(district_round, household), {"uid": household.visit_uid, "method": "door", "result": "nobody_home"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "visit-recorded"
    assert "Nobody home" in response.content.decode()
    coverage = client.get(f"/screening/{district_round.uid}/", HTTP_HX_REQUEST="true")
    assert 'data-figure="revisits">1<' in coverage.content.decode() and "<html" not in coverage.content.decode()
    today = client.get(f"/screening/{district_round.uid}/today/").content.decode()
    assert "revisit due" in today


def test_a_grid_worker_cannot_see_or_visit_the_other_streets_households(world, client_for, district_round):
    client = client_for(world.grid_worker_b)
    assert client.get(visit_url(district_round, world.household_a)).status_code == 404
    response = client.post(visit_url(district_round, world.household_a), {"uid": str(uuid.uuid4()), "method": "door", "result": "all_present"})
    assert response.status_code == 404 and not ScreeningVisit.objects.exists()
    for page in ("", "today/", "unvisited/", "log/", "candidates/", "ledger.xlsx"):
        assert client.get(f"/screening/{district_round.uid}/{page}?org={world.grid1_a.code}").status_code == 404
    today = client.get(f"/screening/{district_round.uid}/today/")
    assert [h.pk for h in today.context["page_obj"]] == [world.household_b.pk]


def test_a_street_round_does_not_exist_for_the_other_street(world, client_for):
    street_round = open_round(actor=world.street_officer_a, scope=world.street_a)
    client = client_for(world.street_officer_b)
    assert street_round.name not in client.get("/screening/").content.decode()
    for page in ("", "today/", "edit/", "candidates/", "ledger.xlsx"):
        assert client.get(f"/screening/{street_round.uid}/{page}").status_code == 404
    assert client.post(f"/screening/{street_round.uid}/status/", {"status": "closed"}).status_code == 404
    assert ScreeningRound.objects.get().status == "open"


@pytest.fixture
def flagged(world, client_for, district_round):
    client_for(world.grid_worker_a).post(visit_url(district_round, world.household_a), {
        "uid": str(uuid.uuid4()), "method": "door", "result": "all_present", f"p-{world.resident_a.uid}-temperature": "38.5"})
    return PersonCheck.objects.get(is_candidate=True)


def test_candidates_are_confirmed_from_the_page(world, client_for, district_round, flagged):
    client = client_for(world.street_officer_a)
    page = client.get(f"/screening/{district_round.uid}/candidates/")
    assert world.resident_a.name in page.content.decode() and "38.5 °C" in page.content.decode()
    assert world.resident_a.id_number not in page.content.decode()
    response = client.post(f"/screening/candidates/{flagged.uid}/confirm/", {"category": "fever_patient", "next": "https://evil.example/"})
    assert response["Location"] == f"/screening/{district_round.uid}/candidates/"
    assert KeyPerson.objects.get().category == "fever_patient"
    assert AuditEntry.objects.filter(action="view", object_type="key_person_candidate").exists()


def test_the_other_street_cannot_decide_a_candidate(world, client_for, flagged):
    client = client_for(world.street_officer_b)
    assert client.post(f"/screening/candidates/{flagged.uid}/dismiss/", {"reason": "x"}).status_code == 404
    assert client.post(f"/screening/candidates/{flagged.uid}/confirm/", {}).status_code == 404
    flagged.refresh_from_db()
    assert flagged.candidate_status == "pending"


def test_a_dismissal_without_reason_is_refused_on_the_page(world, client_for, flagged):
    response = client_for(world.street_officer_a).post(f"/screening/candidates/{flagged.uid}/dismiss/", {"reason": ""}, follow=True)
    assert "Say why" in response.content.decode()
    flagged.refresh_from_db()
    assert flagged.candidate_status == "pending"


def test_the_ledger_has_one_masked_row_per_person_and_is_audited(world, client_for, district_round, flagged):
    make_resident(household=make_household(org=world.building_a, room="102"), name="未访人")
    response = client_for(world.street_officer_a).get(f"/screening/{district_round.uid}/ledger.xlsx")
    rows = sheet(response)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Grid", "Address", "Name", "ID number", "Phone"]
    by_name = {r[2]: dict(zip(header, r)) for r in body}
    assert set(by_name) == {world.resident_a.name, "未访人"}
    a = by_name[world.resident_a.name]
    assert a["ID number"] == world.resident_a.id_number[:6] + "********" + world.resident_a.id_number[-4:]
    assert a["Result"] == "All present" and a["Temperature (°C)"] == 38.5 and "38.5" in a["Key-person candidate"]
    assert by_name["未访人"]["Result"] == "Not yet visited"
    entry = AuditEntry.objects.get(action="export", object_type="screening_ledger")
    assert entry.detail["rows"] == 2


def test_grid_workers_ledger_is_their_grid_only(world, client_for, district_round):
    make_resident(household=make_household(org=world.grid2_a, room="1"), name="二网格人")
    rows = sheet(client_for(world.grid_worker_a).get(f"/screening/{district_round.uid}/ledger.xlsx"))
    assert [r[2] for r in rows[1:]] == [world.resident_a.name]


def test_unvisited_list_and_export(world, client_for, district_round, flagged):
    other = make_household(org=world.building_a, room="102")
    client = client_for(world.street_officer_a)
    page = client.get(f"/screening/{district_round.uid}/unvisited/")
    assert [h.pk for h in page.context["page_obj"]] == [other.pk]
    rows = sheet(client.get(f"/screening/{district_round.uid}/unvisited/?format=xlsx"))
    assert [r[2] for r in rows[1:]] == [other.address]


def test_the_work_log_page_and_export(world, client_for, district_round, flagged):
    client = client_for(world.district_office)
    page = client.get(f"/screening/{district_round.uid}/log/?level=community")
    assert [(e.node, e.visits) for e in page.context["entries"]] == [(world.community_a, 1)]
    rows = sheet(client.get(f"/screening/{district_round.uid}/log/?level=grid&format=xlsx"))
    assert rows[1][1:4] == [world.grid1_a.name, 1, 1]


@pytest.mark.parametrize("page", ["today/", "unvisited/", "candidates/", "log/", "", "ledger.xlsx", "unvisited/?format=xlsx",
                                  "candidates/?format=xlsx"])
def test_screening_lists_have_a_fixed_query_count(world, client_for, district_round, django_assert_max_num_queries, page):
    client = client_for(world.grid_worker_a)
    for i in range(12):
        household = make_household(org=world.building_a, room=str(300 + i))
        make_resident(household=household, name=f"人{i}")
        if i % 2:
            client.post(visit_url(district_round, household), {"uid": str(uuid.uuid4()), "method": "door", "result": "all_present",
                                                               f"p-{household.residents.get().uid}-temperature": "38.0"})
    client = client_for(world.street_officer_a)
    with django_assert_max_num_queries(14):  # with the menu's counts of open alerts, fever referrals and reports due
        response = client.get(f"/screening/{district_round.uid}/{page}")
        if "xlsx" in page:
            b"".join(response.streaming_content)
    assert response.status_code == 200
