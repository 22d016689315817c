import datetime as dt
import io
import uuid

import pytest
from openpyxl import load_workbook

from lianfang.core.models import AuditEntry
from lianfang.tracing.models import Case, Contact

from .factories import add_contact, register_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world):
    """One case per street, each with a resident contact and an outside contact."""
    world.case_a = register_case(actor=world.street_officer_a, name="病例A", cluster="万家喜超市", phone="13900001234")
    world.case_b = register_case(actor=world.street_officer_b, name="病例B")
    world.contact_a, _ = add_contact(actor=world.street_officer_a, case=world.case_a, resident=world.resident_a)
    world.outside_a, _ = add_contact(actor=world.street_officer_a, case=world.case_a, name="外地人甲", phone="13900005678")
    world.contact_b, _ = add_contact(actor=world.street_officer_b, case=world.case_b, resident=world.resident_b)
    return world


def test_the_case_list_shows_only_the_own_street(cases, client_for):
    response = client_for(cases.street_officer_a).get("/tracing/")
    assert [c.name for c in response.context["page_obj"]] == ["病例A"]
    assert "病例B" not in response.content.decode()
    assert AuditEntry.objects.filter(action="view", object_type="case", detail__page=1).exists()


def test_another_streets_case_and_contact_are_not_found(cases, client_for):
    client = client_for(cases.street_officer_a)
    assert client.get(f"/tracing/cases/{cases.case_b.uid}/").status_code == 404
    assert client.post(f"/tracing/cases/{cases.case_b.uid}/contacts/", {"name": "x", "kind": "close",
                                                                          "setting": "other"}).status_code == 404
    assert client.post(f"/tracing/contacts/{cases.contact_b.uid}/hand-over/", {"to": "x"}).status_code == 404
    assert client.get(f"/tracing/?org={cases.street_b.code}").status_code == 404
    assert Contact.objects.filter(case=cases.case_b).count() == 1


def test_the_case_page_shows_trajectory_and_contacts_masked_and_is_audited(cases, client_for):
    response = client_for(cases.street_officer_a).get(f"/tracing/cases/{cases.case_a.uid}/")
    body = response.content.decode()
    assert response.status_code == 200 and "居民A" in body and "外地人甲" in body
    assert cases.resident_a.id_number not in body and "13900005678" not in body
    assert AuditEntry.objects.filter(action="view", object_type="case", object_ref=str(cases.case_a.uid)).exists()


def test_adding_a_contact_on_the_page_puts_them_under_quarantine(world, client_for):
    case = register_case(actor=world.street_officer_a, name="甲")
    uid = uuid.uuid4()
    form = {"uid": str(uid), "id_number": world.resident_a.id_number, "kind": "close", "setting": "household",
            "last_exposure_on": str(dt.date.today())}
    client = client_for(world.street_officer_a)
    response = client.post(f"/tracing/cases/{case.uid}/contacts/", form, follow=True)
    contact = Contact.objects.get(uid=uid)
    assert contact.status == "quarantined" and contact.order.status == "active"
    assert "under quarantine until" in response.content.decode()
    client.post(f"/tracing/cases/{case.uid}/contacts/", form)  # a double tap
    assert Contact.objects.count() == 1


def test_a_bad_trajectory_entry_keeps_the_form_with_the_error(world, client_for):
    case = register_case(actor=world.street_officer_a, name="甲")
    response = client_for(world.street_officer_a).post(f"/tracing/cases/{case.uid}/trajectory/", {
        "place": "超市", "started_at": "2022-01-05T10:00", "ended_at": "2022-01-05T09:00"})
    assert response.status_code == 400 and "The end is before the start." in response.content.decode()
    assert not case.trajectory.exists()


def test_registering_a_case_on_the_page(world, client_for):
    response = client_for(world.street_officer_a).post("/tracing/new/", {
        "name": "外地病例", "org": world.community_a.code, "classification": "suspected", "onset_date": "", "phone": ""})
    case = Case.objects.get(name="外地病例")
    assert response.status_code == 302 and case.org_path == world.community_a.path


def test_a_classification_change_on_the_page(cases, client_for):
    client_for(cases.street_officer_a).post(f"/tracing/cases/{cases.case_a.uid}/classify/",
                                            {"classification": "confirmed", "reason": "阳性"})
    cases.case_a.refresh_from_db()
    assert cases.case_a.classification == "confirmed"


def test_the_exports_are_masked_and_audited(cases, client_for):
    client = client_for(cases.street_officer_a)
    for url, object_type in (("/tracing/?format=xlsx", "case"), ("/tracing/contacts/?format=xlsx", "case_contact")):
        response = client.get(url)
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        text = " ".join(cells)
        assert cases.resident_a.id_number not in text and "13900005678" not in text and "13900001234" not in text
        assert "病例B" not in text and cases.resident_b.name not in text
        assert AuditEntry.objects.filter(action="export", object_type=object_type).exists()
    contacts = load_workbook(io.BytesIO(b"".join(client.get("/tracing/contacts/?format=xlsx").streaming_content))).active
    assert "139****5678" in [c.value for row in contacts.iter_rows() for c in row]


def test_the_contact_list_shows_only_the_own_street(cases, client_for):
    response = client_for(cases.street_officer_a).get("/tracing/contacts/")
    assert {c.name for c in response.context["page_obj"]} == {"居民A", "外地人甲"}


def test_the_chain_page_and_its_figure_show_only_the_own_street(cases, client_for):
    client = client_for(cases.street_officer_a)
    page = client.get("/tracing/chains/")
    assert page.status_code == 200 and "vendor/plotly-" in page.content.decode()
    out = client.get("/tracing/chains/figure.json").json()
    names = " ".join(t for trace in out["figure"]["data"] for t in trace.get("text", []))
    assert "病例A" in names and "病例B" not in names and cases.resident_b.name not in names
    assert out["shown"] == 1 and out["cases"] == 1 and out["contacts"] == 2
    assert AuditEntry.objects.filter(object_type="case_chain").exists()


def test_the_plotly_script_is_served_locally(client):
    from django.contrib.staticfiles import finders

    from lianfang.core.plotly import PLOTLY_JS

    path = finders.find(PLOTLY_JS)
    with open(path, "rb") as f:
        assert b"plotly" in f.read(2000).lower()
