"""The daily brief's documents: a Word file and a PDF laid out like the district's bulletin
(seed 000: 上街信息 第8期), with Chinese set in a Chinese face, made from the kept content, and
every download audited."""

import io

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import RGBColor
from pypdf import PdfReader

from lianfang.core.audit import COMMAND
from lianfang.core.models import AuditEntry
from lianfang.core.pdf import cjk_font

from .. import brief_docs, services
from ..brief_docs import brief_docx, brief_pdf
from ..models import ReportingUnit
from .factories import DAY, local, submit, template

pytestmark = pytest.mark.django_db

needs_cjk_font = pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed (apt-get install fonts-noto-cjk)")


@pytest.fixture
def brief(world, units, frozen):
    t = template(world)
    t.unit_kinds = ["community", "finance"]
    t.save()
    finance = ReportingUnit.objects.create(district=world.district, kind="finance", org_path=world.district.path, name="区财政局")
    finance.reporters.add(world.grid_worker_a)
    frozen(local(DAY, 8))
    submit(world, t, units["a"], values={"new_key_persons": 1, "passages": 4, "visited": 7, "note": "东风社区情况平稳"})
    submit(world, t, finance, values={"new_key_persons": 0, "passages": 0, "visited": 2, "note": "拨付防控资金50万元"})
    street = ReportingUnit.objects.get(org=world.street_a)
    services.reporting_unit_update(actor=world.district_office, unit=street, duty_phone="13987654321", via=COMMAND)
    services.duty_roster_set(actor=world.district_office, unit=street, day=DAY, via=COMMAND, entries=[
        {"role": "leader", "name": "王书记", "phone": "13911112222"}, {"role": "officer", "name": "李干事", "phone": "13933334444"}])
    frozen(local(DAY, 18))
    return services.brief_issue(actor=world.district_office, district=world.district, day=DAY, title="疫情防控工作日报",
                                office="测试区疫情防控指挥部办公室", send_to="区县处级领导", copy_to="各街道办事处、区直各单位",
                                editors="张三", highlights="全区开展第二轮排查。\n各卡点严格登记。", via=COMMAND)


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_docx_reads_like_the_bulletin(brief):
    data = brief_docx(brief)
    text = docx_text(data)
    for expected in ("疫情防控工作日报", "第1期", "测试区疫情防控指挥部办公室", "2024 年 3 月 4 日", "东风街道", "区财政局",
                     "东风社区情况平稳", "拨付防控资金50万元", "全区开展第二轮排查。", "王书记 13911112222", "李干事 13933334444",
                     "13987654321", "本期送：区县处级领导", "发：各街道办事处、区直各单位", "编辑：张三"):
        assert expected in text, expected
    doc = Document(io.BytesIO(data))
    title = doc.paragraphs[0].runs[0]
    assert title.text == "疫情防控工作日报" and title.font.color.rgb == RGBColor(0xC0, 0x00, 0x00) and title.font.bold
    # Chinese is set in a Chinese face, not left to the Latin one.
    assert title._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert doc.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"


def test_the_docx_carries_the_key_figures_and_who_has_not_reported(brief):
    text = docx_text(brief_docx(brief))
    # In Chinese whatever the reader's language: two communities and the bureau.
    assert "应报 3 个，已报 2 个，按时报送 2 个，零报告 0 个。" in text
    assert "未报送：西湖社区。" in text
    doc = Document(io.BytesIO(brief_docx(brief)))
    figures = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows[1:]}
    assert figures["走访户数"] == "9" and figures["卡点通行"] == "4"


def test_the_document_is_made_from_what_was_kept(brief, world, units, frozen):
    before = docx_text(brief_docx(brief))
    units["b"].reporters.add(world.grid_worker_a)
    submit(world, brief_template(brief), units["b"], values={"new_key_persons": 0, "passages": 0, "visited": 1})
    after = docx_text(brief_docx(brief))
    assert after == before and "未报送：西湖社区。" in after


def brief_template(brief):
    from ..models import ReportTemplate

    return ReportTemplate.objects.get(name=brief.content["templates"][0]["name"])


@needs_cjk_font
def test_the_pdf_is_a_pdf_with_the_streets_in_it(brief):
    data = brief_pdf(brief)
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "东风街道" in text and "第1期" in text.replace(" ", "") and "王书记" in text


@needs_cjk_font
def test_the_downloads_answer_files_and_are_audited(brief, world, client_for):
    client = client_for(world.street_officer_b)    # every official of the district reads the brief
    docx = client.get(f"/reporting/briefs/{brief.uid}/docx/")
    assert docx.status_code == 200 and docx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "第1期" in docx_text(docx.content)
    pdf = client.get(f"/reporting/briefs/{brief.uid}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    entries = AuditEntry.objects.filter(action="export", object_type="daily_brief", object_ref=str(brief.uid))
    assert sorted(e.detail["format"] for e in entries) == ["docx", "pdf"]
    assert {e.actor for e in entries} == {world.street_officer_b}


def test_without_a_chinese_font_the_page_names_the_debian_package(brief, world, client_for, monkeypatch):
    monkeypatch.setattr(brief_docs, "cjk_font", lambda: None)
    response = client_for(world.district_office).get(f"/reporting/briefs/{brief.uid}/pdf/", follow=True)
    assert response.redirect_chain[-1][0] == f"/reporting/briefs/{brief.uid}/"
    assert "apt-get install fonts-noto-cjk" in response.content.decode()
    assert not AuditEntry.objects.filter(object_type="daily_brief", action="export").exists()


def test_a_user_without_a_jurisdiction_cannot_download(brief, world, client_for):
    world.supervision.jurisdiction = None
    world.supervision.save()
    assert client_for(world.supervision).get(f"/reporting/briefs/{brief.uid}/docx/").status_code == 404
