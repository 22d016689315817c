"""Pass cards: the list and its export, issuing one by one and for a whole building, revoking and
reissuing, the printable A4 sheets (read back as text) and reading a card from a photo."""

import io

import pytest
import segno
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from lianfang.core.audit import COMMAND
from lianfang.core.models import ApiToken, AuditEntry
from lianfang.core.pdf import cjk_font
from lianfang.core.tests.factories import make_household, make_resident

from .. import cards_pdf, services
from ..models import PassCard
from .factories import card, code

pytestmark = pytest.mark.django_db

needs_cjk_font = pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed (apt-get install fonts-noto-cjk)")


def xlsx_rows(response) -> list[tuple]:
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))


def pdf_text(data: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages), reader


def png(data: str | None = None, size=(300, 300)) -> io.BytesIO:
    """A photo: the QR code of `data` on white, or a plain grey picture without one."""
    out = io.BytesIO()
    if data is None:
        Image.new("RGB", size, (128, 128, 128)).save(out, format="PNG")
    else:
        segno.make_qr(data, error="m").save(out, kind="png", scale=6, border=4)
    out.seek(0)
    out.name = "photo.png"
    return out


@pytest.fixture
def upload(client):
    """upload(user, file) -> the response of POST /api/pass-cards/decode with a token."""
    def post(user, file):
        _token, key = ApiToken.issue(user=user, name="test")
        return client.post("/api/pass-cards/decode", {"image": file}, HTTP_AUTHORIZATION=f"Bearer {key}")
    return post


# --- the list, issuing ----------------------------------------------------------------------

def test_the_list_filters_by_unit_status_and_search(world, client_for):
    mine = card(world)
    other = card(world, household=make_household(org=world.grid2_a, room="202"))
    services.pass_card_revoke(actor=world.street_officer_a, card=other, reason="遗失", via=COMMAND)
    client = client_for(world.street_officer_a)
    html = client.get("/checkpoints/cards/").content.decode()
    assert mine.number in html and other.number in html and "遗失" in html
    assert other.number not in client.get(f"/checkpoints/cards/?org={world.building_a.code}").content.decode()
    assert mine.number not in client.get("/checkpoints/cards/?status=revoked").content.decode()
    assert other.number not in client.get(f"/checkpoints/cards/?q={mine.number}").content.decode()
    assert mine.number not in client_for(world.street_officer_b).get("/checkpoints/cards/").content.decode()


def test_the_unit_lists_its_households_without_a_card_and_one_is_issued(world, client_for):
    second = make_household(org=world.building_a, room="102")
    card(world)
    client = client_for(world.grid_worker_a)
    html = client.get(f"/checkpoints/cards/?org={world.building_a.code}").content.decode()
    assert str(second.uid) in html and str(world.household_a.uid) not in html
    response = client.post("/checkpoints/cards/issue/", {"household": str(second.uid), "org": world.building_a.code})
    new = PassCard.objects.get(household=second)
    assert response.status_code == 302 and response.url == f"/checkpoints/cards/{new.uid}/"


def test_a_second_valid_card_is_refused(world, client_for):
    first = card(world)
    response = client_for(world.street_officer_a).post("/checkpoints/cards/issue/", {"household": str(world.household_a.uid)}, follow=True)
    assert f"A valid card {first.number} exists already" in response.content.decode()
    assert PassCard.objects.count() == 1


def test_a_household_of_another_street_is_not_found(world, client_for):
    response = client_for(world.street_officer_b).post("/checkpoints/cards/issue/", {"household": str(world.household_a.uid)})
    assert response.status_code == 404 and not PassCard.objects.exists()


def test_cards_are_issued_for_a_whole_building(world, client_for):
    make_household(org=world.building_a, room="102")
    make_household(org=world.building_a, room="103")
    card(world)
    response = client_for(world.street_officer_a).post("/checkpoints/cards/issue-for/", {"org": world.building_a.code}, follow=True)
    assert "2 cards issued under 东风1号楼." in response.content.decode()
    assert PassCard.objects.filter(status="active").count() == 3


def test_checkpoint_staff_may_not_issue_cards(world, client_for):
    response = client_for(world.checkpoint_staff_a).post("/checkpoints/cards/issue-for/", {"org": world.community_a.code})
    assert response.status_code in (302, 403) and not PassCard.objects.exists()


# --- one card -------------------------------------------------------------------------------

def test_the_card_page_shows_its_qr_code(world, client_for):
    c = card(world)
    html = client_for(world.street_officer_a).get(f"/checkpoints/cards/{c.uid}/").content.decode()
    assert c.number in html and "<svg" in html and world.household_a.address in html
    assert AuditEntry.objects.filter(action="view", object_type="pass_card", object_ref=str(c.uid)).exists()


def test_reissuing_revokes_the_card_and_shows_the_replacement(world, client_for):
    c = card(world)
    client = client_for(world.street_officer_a)
    response = client.post(f"/checkpoints/cards/{c.uid}/change/", {"action": "reissue", "reason": "遗失"})
    new = PassCard.objects.get(status="active")
    assert response.status_code == 302 and response.url == f"/checkpoints/cards/{new.uid}/"
    assert new.replaces == c
    html = client.get(f"/checkpoints/cards/{c.uid}/").content.decode()
    assert "Revoked" in html and "遗失" in html and f"/checkpoints/cards/{new.uid}/" in html and "<svg" not in html


def test_revoking_needs_a_reason(world, client_for):
    c = card(world)
    client = client_for(world.street_officer_a)
    response = client.post(f"/checkpoints/cards/{c.uid}/change/", {"action": "revoke", "reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    client.post(f"/checkpoints/cards/{c.uid}/change/", {"action": "revoke", "reason": "搬离"})
    c.refresh_from_db()
    assert (c.status, c.revoke_reason) == ("revoked", "搬离")
    assert not PassCard.objects.filter(status="active").exists()


def test_street_b_does_not_find_street_a_cards(world, client_for, token_client):
    c = card(world)
    client = client_for(world.street_officer_b)
    assert client.get(f"/checkpoints/cards/{c.uid}/").status_code == 404
    assert client.post(f"/checkpoints/cards/{c.uid}/change/", {"action": "revoke", "reason": "x"}).status_code == 404
    assert client.get(f"/checkpoints/cards/sheet.pdf?org={world.building_a.code}").status_code == 404
    c.refresh_from_db()
    assert c.is_active


def test_street_b_does_not_print_street_a_cards_through_the_api(world, token_client):
    card(world)
    api = token_client(world.street_officer_b)
    assert api("get", f"/api/pass-cards/sheet.pdf?org={world.building_a.code}").status_code == 404


# --- export ---------------------------------------------------------------------------------

def test_the_export_lists_cards_without_their_codes_and_is_audited(world, client_for):
    c = card(world)
    old = card(world, household=make_household(org=world.building_a, room="102"))
    services.pass_card_revoke(actor=world.street_officer_a, card=old, reason="遗失", via=COMMAND)
    response = client_for(world.grid_worker_a).get("/checkpoints/cards/?format=xlsx")
    rows = xlsx_rows(response)
    assert rows[0] == ("Card number", "Address", "Resident", "Status", "Issued", "Revoked on", "Reason")
    assert {r[0]: (r[1], r[3], r[6]) for r in rows[1:]} == {
        c.number: (world.household_a.address, "Valid", None), old.number: ("东风1号楼102室", "Revoked", "遗失")}
    flat = repr(rows)
    assert c.token not in flat and "LFP1" not in flat
    entry = AuditEntry.objects.get(action="export")
    assert entry.object_type == "pass_card" and entry.detail["rows"] == 2


def test_checkpoint_staff_may_not_export_cards(world, client_for):
    card(world)
    assert client_for(world.checkpoint_staff_a).get("/checkpoints/cards/?format=xlsx").status_code == 403


# --- the printable sheets -------------------------------------------------------------------

@needs_cjk_font
def test_the_sheet_prints_eight_cards_a_page_with_number_and_address(world, client_for):
    for room in range(102, 111):  # nine households with the one of the world
        make_household(org=world.building_a, room=str(room))
    make_resident(household=world.household_a, name="居民A2")
    services.pass_cards_issue_for(actor=world.street_officer_a, org=world.building_a, via=COMMAND)
    response = client_for(world.street_officer_a).get(f"/checkpoints/cards/sheet.pdf?org={world.building_a.code}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text, reader = pdf_text(response.content)
    flat = "".join(text.split())
    first = PassCard.objects.get(household=world.household_a)
    assert len(reader.pages) == 2
    assert first.number in flat and "东风1号楼101室" in flat and "东风1号楼110室" in flat
    assert "测试区" in flat and "东风社区" in flat
    entry = AuditEntry.objects.get(action="export", object_type="pass_card")
    assert entry.detail == {"sheet": world.building_a.code, "cards": 10}


@needs_cjk_font
def test_a_personal_card_names_its_holder(world):
    c = card(world, resident=world.resident_a)
    html = cards_pdf.sheet_html(rows=cards_pdf.sheet_cards(actor=world.street_officer_a, org=world.building_a), org=world.building_a,
                                font=cjk_font(), language="en")
    assert "Holder: 居民A" in html and c.number in html and "1 member" not in html


@needs_cjk_font
def test_the_api_answers_the_same_sheet(world, token_client):
    c = card(world)
    response = token_client(world.grid_worker_a)("get", f"/api/pass-cards/sheet.pdf?org={world.building_a.code}")
    assert response.status_code == 200
    assert c.number in pdf_text(response.content)[0]


def test_a_unit_without_cards_says_so(world, client_for):
    response = client_for(world.street_officer_a).get(f"/checkpoints/cards/sheet.pdf?org={world.building_a.code}", follow=True)
    assert "No valid pass cards under 东风1号楼: issue them first." in response.content.decode()


def test_without_a_chinese_font_the_page_names_the_debian_package(world, client_for, monkeypatch):
    card(world)
    monkeypatch.setattr(cards_pdf, "cjk_font", lambda: None)
    response = client_for(world.street_officer_a).get(f"/checkpoints/cards/sheet.pdf?org={world.building_a.code}", follow=True)
    assert "apt-get install fonts-noto-cjk" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_without_a_chinese_font_the_api_names_the_debian_package(world, token_client, monkeypatch):
    card(world)
    monkeypatch.setattr(cards_pdf, "cjk_font", lambda: None)
    response = token_client(world.street_officer_a)("get", f"/api/pass-cards/sheet.pdf?org={world.building_a.code}")
    assert response.status_code == 400
    assert response.json()["code"] == "font_missing" and "apt-get install fonts-noto-cjk" in response.json()["detail"]
    assert not AuditEntry.objects.filter(action="export").exists()


def test_checkpoint_staff_may_not_print_cards(world, client_for):
    card(world)
    response = client_for(world.checkpoint_staff_a).get(f"/checkpoints/cards/sheet.pdf?org={world.community_a.code}", follow=True)
    assert response["Content-Type"].startswith("text/html") and "Your role may not do this." in response.content.decode()


# --- reading a card from a photo ------------------------------------------------------------

def test_a_photo_of_the_card_gives_its_code_which_the_gate_accepts(world, upload, token_client):
    c = card(world)
    response = upload(world.checkpoint_staff_a, png(code(c)))
    assert response.status_code == 200 and response.json() == {"code": code(c)}
    check = token_client(world.checkpoint_staff_a)("get", f"/api/pass-cards/check?code={response.json()['code']}")
    assert check.status_code == 200 and check.json()["number"] == c.number


def test_a_photo_without_a_qr_code_is_a_clear_400(world, upload):
    response = upload(world.checkpoint_staff_a, png(None))
    assert response.status_code == 400
    assert response.json()["code"] == "no_qr" and response.json()["detail"].startswith("No QR code was found in the photo")


def test_a_file_that_is_not_a_photo_is_refused(world, upload):
    text = io.BytesIO(b"not an image at all")
    text.name = "notes.txt"
    response = upload(world.checkpoint_staff_a, text)
    assert response.status_code == 400 and response.json()["code"] == "not_an_image"


def test_a_photo_over_8_mb_is_refused(world, upload):
    big = io.BytesIO(b"\0" * (8 * 1024 * 1024 + 1))
    big.name = "big.jpg"
    response = upload(world.checkpoint_staff_a, big)
    assert response.status_code == 400 and "larger than 8 MB" in response.json()["detail"]


def test_reading_a_photo_needs_the_right_to_record_passages(world, upload):
    assert upload(world.doctor_a, png(code(card(world)))).status_code == 403


def test_the_card_list_takes_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries):
    for room in range(102, 120):
        make_household(org=world.building_a, room=str(room))
    services.pass_cards_issue_for(actor=world.street_officer_a, org=world.building_a, via=COMMAND)
    client = client_for(world.street_officer_a)
    client.get("/checkpoints/cards/")
    with django_assert_max_num_queries(14):
        assert client.get(f"/checkpoints/cards/?org={world.building_a.code}").status_code == 200


@needs_cjk_font
def test_a_reissued_card_prints_on_its_own(world, client_for):
    make_household(org=world.building_a, room="102")
    services.pass_cards_issue_for(actor=world.street_officer_a, org=world.building_a, via=COMMAND)
    old = PassCard.objects.get(household=world.household_a)
    new = services.pass_card_reissue(actor=world.street_officer_a, card=old, reason="遗失", via=COMMAND)
    client = client_for(world.street_officer_a)
    assert f"?card={new.uid}" in client.get(f"/checkpoints/cards/{new.uid}/").content.decode()
    response = client.get(f"/checkpoints/cards/sheet.pdf?card={new.uid}")
    assert response.status_code == 200
    text, reader = pdf_text(response.content)
    flat = "".join(text.split())
    assert len(reader.pages) == 1 and new.number in flat and "东风1号楼102室" not in flat
    # Another street's officer cannot print it.
    assert client_for(world.street_officer_b).get(f"/checkpoints/cards/sheet.pdf?card={new.uid}").status_code == 404
