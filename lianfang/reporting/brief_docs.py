"""The daily brief as documents: DOCX (python-docx) and PDF (WeasyPrint), laid out like a Chinese
government bulletin (seed 000: 上街信息 第8期): the title in red, 第 N 期, the issuing office and
the date on one line over a red rule; the district's key figures of the day; a section per
street and per department; the editors' highlights; the 24-hour duty roster; and at the foot
本期送 / 发 / 编辑.

Both are drawn from the content kept with the issue (Brief.content), so an archived issue reads
the same years later. They are papers for the leadership, in Chinese whatever the reader's
interface language; the duty phones are printed in full (they are there to be called), and
every download is audited (brief_download_audit)."""

import datetime as dt
import io

from django.template.loader import render_to_string
from django.utils import translation
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianfang.core.audit import Via, audit_record
from lianfang.core.models import AuditAction
from lianfang.core.pdf import cjk_font, font_missing, weasyprint_load

from .models import Brief

RED = "C00000"
# What Word and WPS in China set Chinese text in; LibreOffice substitutes a CJK face it has.
DOCX_FONT = "宋体"
DOCX_HEADING_FONT = "黑体"
DOCX_LATIN_FONT = "Times New Roman"


def chinese_date(day: dt.date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def number_label(number: int) -> str:
    # The bulletin's own form (seed 000), not interface text.
    return f"第{number}期"


def brief_context(brief: Brief) -> dict:
    """What the page, the PDF and the DOCX show, from the kept content."""
    content = brief.content or {}
    sections = [{**s, "parts": [{**p, "line": part_line(p)} for p in s.get("parts", [])]} for s in content.get("sections", [])]
    templates = []
    for t in content.get("templates", []):
        templates.append({**t, "summary": _("Expected %(expected)s, reported %(submitted)s, on time %(on_time)s, zero reports %(zero)s.")
                          % {k: t.get(k, 0) for k in ("expected", "submitted", "on_time", "zero")}})
    return {
        "brief": brief,
        "number_label": number_label(brief.number),
        "date_label": chinese_date(brief.day),
        "templates": templates,
        "streets": [s for s in sections if not s.get("department")],
        "departments": [s for s in sections if s.get("department")],
        "highlights": [line.strip() for line in (brief.highlights or "").splitlines() if line.strip()],
        "duty": content.get("duty", []),
    }


def part_line(part: dict) -> str:
    """One template's figures of a section, as a sentence."""
    head = _("%(template)s: %(reported)s of %(units)s units reported") % {
        "template": part["template"], "reported": part["reported"], "units": part["units"]}
    if part.get("zero"):
        head += _(", %(zero)s zero reports") % {"zero": part["zero"]}
    figures = "；".join(f"{f['label']} {f['value']}" for f in part.get("figures", []))
    return f"{head}。{figures}" + ("。" if figures else "")


CONTENT_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


def brief_file_response(brief: Brief, data: bytes, kind: str) -> HttpResponse:
    """The document as a download named like the archive calls it: 疫情防控工作日报第3期-2026-11-23.pdf."""
    response = HttpResponse(data, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = content_disposition_header(True, f"{brief}-{brief.day.isoformat()}.{kind}")
    return response


def brief_download_audit(*, actor, brief: Brief, kind: str, via: Via) -> None:
    """A brief was downloaded (`kind`: docx or pdf); it carries names and phones."""
    audit_record(actor=actor, action=AuditAction.EXPORT, via=via, object_type="daily_brief", object_ref=brief.uid,
                 object_label=str(brief), org_path=brief.org_path, detail={"format": kind, "number": brief.number})


# --- PDF ------------------------------------------------------------------------------------

def brief_html(brief: Brief, *, font: str, language: str = "zh-hans") -> str:
    with translation.override(language):
        return render_to_string("reporting/brief_pdf.html", {**brief_context(brief), "font": font, "reveal": True})


def brief_pdf(brief: Brief, *, language: str = "zh-hans") -> bytes:
    """The brief as A4 PDF bytes. DomainError naming the Debian package when this server cannot
    draw Chinese (no CJK font, or no WeasyPrint/Pango), rather than a paper of empty boxes."""
    weasyprint = weasyprint_load()
    font = cjk_font()
    if font is None:
        raise font_missing()
    return weasyprint.HTML(string=brief_html(brief, font=font, language=language)).write_pdf()


# --- DOCX -----------------------------------------------------------------------------------

def _fonts(element, east_asia: str) -> None:
    """Set the Latin and East Asian faces on a run or style; drop theme fonts, which would win."""
    from docx.oxml.ns import qn

    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    fonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)


def _run(paragraph, text: str, *, size: float = 12, bold: bool = False, red: bool = False, font: str = DOCX_FONT):
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    if red:
        run.font.color.rgb = RGBColor.from_string(RED)
    _fonts(run._element, font)
    return run


def _paragraph(doc, text: str = "", *, size: float = 12, bold: bool = False, red: bool = False, center: bool = False,
               font: str = DOCX_FONT, indent: bool = False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)    # two characters, as Chinese prose is set
    p.paragraph_format.space_after = Pt(4)
    if text:
        _run(p, text, size=size, bold=bold, red=red, font=font)
    return p


def _rule(paragraph, *, color: str = RED, size: int = 12, where: str = "bottom") -> None:
    """A line under (or over) the paragraph: the bulletin's red rule."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{where}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", color)):
        line.set(qn(key), value)
    border.append(line)
    # pBdr sits before these in a paragraph's properties (the schema's order; Word is strict).
    successors = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
                  "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                  "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                  "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
    ppr.insert_element_before(border, *successors)


def _heading(doc, text: str):
    from docx.shared import Pt

    p = _paragraph(doc, text, size=14, bold=True, font=DOCX_HEADING_FONT)
    p.paragraph_format.space_before = Pt(10)
    p.paragraph_format.keep_with_next = True
    return p


def _table(doc, header: list[str], rows: list[list[str]]):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        _run(cell.paragraphs[0], text, size=10.5, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            _run(cell.paragraphs[0], str(text), size=10.5)
    return table


def brief_docx(brief: Brief, *, language: str = "zh-hans") -> bytes:
    """The brief as a Word document (bytes)."""
    from docx import Document
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    with translation.override(language):
        ctx = brief_context(brief)
        doc = Document()
        page = doc.sections[0]
        page.page_width, page.page_height = Mm(210), Mm(297)
        page.top_margin = page.bottom_margin = Mm(25)
        page.left_margin = page.right_margin = Mm(26)
        normal = doc.styles["Normal"]
        normal.font.size = Pt(12)
        _fonts(normal.element, DOCX_FONT)
        for fonts in doc.styles.element.findall(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr") + "/" + qn("w:rFonts")):
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(attr), None)
            fonts.set(qn("w:eastAsia"), DOCX_FONT)
        doc.core_properties.title = f"{brief.title} {number_label(brief.number)}"

        # The masthead: title in red, the number, then office and date on one line over a red rule.
        _paragraph(doc, brief.title, size=26, bold=True, red=True, center=True, font=DOCX_FONT)
        _paragraph(doc, ctx["number_label"], size=14, center=True)
        line = _paragraph(doc, size=12)
        width = page.page_width - page.left_margin - page.right_margin
        line.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
        _run(line, f"{brief.office}\t{ctx['date_label']}", size=12)
        _rule(line)

        _heading(doc, _("Key figures of the district"))
        for t in ctx["templates"]:
            _paragraph(doc, t["name"], size=12, bold=True)
            _paragraph(doc, t["summary"], indent=True)
            if t.get("missing"):
                _paragraph(doc, _("Not reported: %(units)s.") % {"units": "、".join(t["missing"])}, indent=True)
            if t.get("figures"):
                _table(doc, [_("Figure"), _("District total")], [[f["label"], f["value"]] for f in t["figures"]])
        if not ctx["templates"]:
            _paragraph(doc, _("No report templates were included."), indent=True)

        for title, sections in ((_("Streets and towns"), ctx["streets"]), (_("Departments"), ctx["departments"])):
            if not sections:
                continue
            _heading(doc, title)
            for section in sections:
                _paragraph(doc, section["name"], size=12, bold=True, font=DOCX_HEADING_FONT)
                for part in section["parts"]:
                    _paragraph(doc, part["line"], indent=True)
                    for text in part.get("texts", []):
                        _paragraph(doc, f"{text['label']}（{text['unit']}）：{text['text']}", indent=True)

        if ctx["highlights"]:
            _heading(doc, _("Work of the day"))
            for line_text in ctx["highlights"]:
                _paragraph(doc, line_text, indent=True)

        _heading(doc, _("24-hour duty"))
        if ctx["duty"]:
            _table(doc, [pgettext("org unit", "Unit"), _("Leader on duty"), _("Duty officers"), _("24-hour duty phone")], [
                [d["unit"], f"{d['leader']} {d['leader_phone']}".strip(),
                 "、".join(f"{o['name']} {o['phone']}" for o in d["officers"]), d["duty_phone"]] for d in ctx["duty"]])
        else:
            _paragraph(doc, _("No duty roster was set for this day."), indent=True)

        foot = _paragraph(doc, size=12)
        foot.paragraph_format.space_before = Pt(18)
        _rule(foot, color="000000", size=6, where="top")
        _run(foot, f"本期送：{brief.send_to}")
        _paragraph(doc, f"发：{brief.copy_to}")
        last = _paragraph(doc, f"编辑：{brief.editors}")
        _rule(last, color="000000", size=6)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
