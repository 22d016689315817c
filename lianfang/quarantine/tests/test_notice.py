"""The medical observation notice: a real A4 PDF for a real order, read back as text; and a
clear message, not boxes, on a server without a Chinese font or without Pango."""

import datetime as dt
import io
import sys

import pytest
from pypdf import PdfReader

from lianfang.core import clock
from lianfang.core.audit import COMMAND
from lianfang.core.errors import DomainError
from lianfang.core.pii import id_tail
from lianfang.quarantine import notice, site_services
from lianfang.quarantine.models import OrderKind, Room
from lianfang.quarantine.services import (
    key_person_register,
    notice_mark_signed,
    quarantine_order_extend,
    quarantine_order_start,
)

pytestmark = pytest.mark.django_db

START = dt.date(2020, 2, 3)
CADRES = [{"duty": "village", "name": "李四", "phone": "13900001111"}, {"duty": "doctor", "name": "王医生", "phone": "13900002222"}]


@pytest.fixture
def at_start():
    clock.set_now(dt.datetime(2020, 2, 3, 10, 0, tzinfo=dt.UTC))
    yield
    clock.set_now(None)


def order_for(world, *, kind=OrderKind.HOME_OBSERVATION, room=None):
    key_person, _created = key_person_register(actor=world.district_office, resident=world.resident_a, category="close_contact",
                                               source="hotline", via=COMMAND)
    return quarantine_order_start(actor=world.street_officer_a, key_person=key_person, kind=kind, start_date=START, days=14,
                                  cadres=CADRES, room=room, via=COMMAND)


def pdf_text(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def embedded_fonts(reader: PdfReader) -> set[str]:
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


def test_it_renders_the_notice_with_the_person_dates_and_cadres(world, at_start):
    order = order_for(world)
    pdf = notice.notice_pdf(order=order)
    assert pdf.startswith(b"%PDF-")
    text, reader = pdf_text(pdf)
    flat = text.replace("\n", " ")
    assert world.resident_a.name in text
    assert "2020-02-03" in text and "2020-02-16" in text  # start and last day (14 days)
    for cadre in CADRES:
        assert cadre["name"] in text and cadre["phone"] in text
    # The ID number shows its last four characters only.
    id_number = world.resident_a.id_number
    assert id_tail(id_number) in text and id_number not in text and id_number[:6] not in flat
    assert "东风街道" in text and "东风社区" in text  # the issuing street and community
    assert "07:00" in text and "14:00" in text  # the two check windows of the district's policy
    assert len(reader.pages) == 1 and reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # one A4 sheet
    # Chinese is drawn with a CJK font, embedded, not with boxes.
    assert any("CJK" in f for f in embedded_fonts(reader))


def test_it_reads_in_english_on_request(world, at_start):
    text, _reader = pdf_text(notice.notice_pdf(order=order_for(world), language="en"))
    flat = " ".join(text.split())
    assert "Notice of home medical observation" in flat and "14 days" in flat and "Stay at home for the whole period" in flat


def test_a_central_order_names_the_site_and_room(world, at_start):
    site = site_services.site_create(actor=world.street_officer_a, org_unit=world.street_a, name="如家酒店", address="东风路1号",
                                     via=COMMAND)
    site_services.rooms_add(actor=world.street_officer_a, site=site, numbers="301", via=COMMAND)
    order = order_for(world, kind=OrderKind.CENTRAL, room=Room.objects.get(site=site))
    text, _reader = pdf_text(notice.notice_pdf(order=order, language="en"))
    flat = " ".join(text.split())
    assert "Notice of central quarantine" in flat and "如家酒店" in flat and "301" in flat and "Stay in your room" in flat


def test_an_extended_and_signed_notice_says_so(world, at_start):
    order = order_for(world)
    quarantine_order_extend(actor=world.street_officer_a, order=order, days=7, reason="核酸待复检", via=COMMAND)
    clock.set_now(dt.datetime(2020, 2, 3, 11, 30, tzinfo=dt.UTC))
    notice_mark_signed(actor=world.doctor_a, order=order, via=COMMAND)
    order.refresh_from_db()
    text, _reader = pdf_text(notice.notice_pdf(order=order, language="en"))
    flat = " ".join(text.split())
    assert "2020-02-23" in flat and "extended by 7 days" in flat
    assert "Signed and handed over on 2020-02-03 19:30; recorded by doctor_a." in flat  # local time, Asia/Shanghai


def test_without_a_chinese_font_it_names_the_debian_package(world, at_start, monkeypatch):
    monkeypatch.setattr(notice, "cjk_font", lambda: None)
    with pytest.raises(DomainError) as e:
        notice.notice_pdf(order=order_for(world))
    assert e.value.code == "font_missing"
    assert "fonts-noto-cjk" in str(e.value.message) and "apt-get install fonts-noto-cjk" in str(e.value.message)


def test_without_pango_it_says_what_to_install(world, at_start, monkeypatch):
    # A module set to None in sys.modules makes `import weasyprint` fail, as a missing Pango does.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(DomainError) as e:
        notice.notice_pdf(order=order_for(world))
    assert e.value.code == "pdf_unavailable" and "apt-get install libpango-1.0-0 fonts-noto-cjk" in str(e.value.message)


def test_the_font_probe_finds_the_installed_noto_cjk():
    # This machine (and CI: scripts/_setup.sh) has Debian's fonts-noto-cjk.
    assert notice.cjk_font() in notice.PREFERRED_FAMILIES
