"""Printable pass-card sheets: A4, eight cards a page (2 × 4) with cut lines, each with the
district and community, the address, the card number, how many live there (or the person's
name on a personal card) and the QR code of the signed card code.

In Chinese whatever the reader's interface language: the card is handed to the household.
The same bytes for the page and the API; each download is audited (the sheets are credentials)."""

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

import segno

from lianfang.core.audit import Via, audit_record
from lianfang.core.errors import DomainError
from lianfang.core.models import AuditAction, Level, OrgUnit, path_ids
from lianfang.core.pdf import cjk_font, font_missing, weasyprint_load
from lianfang.core.roles import Capability
from lianfang.core.services import require
from lianfang.registry import selectors as registry_selectors

from . import selectors, tokens
from .models import PassCard

PER_PAGE = 8


def qr_data_uri(code: str) -> str:
    # Always a full QR (segno would pick a Micro QR for short text, which phones do not read);
    # level M survives a fold or a smudge.
    return segno.make_qr(code, error="m").svg_data_uri(scale=4, border=2)


def qr_svg(code: str) -> str:
    return segno.make_qr(code, error="m").svg_inline(scale=5, border=2)


def sheet_cards(*, actor, org: OrgUnit, card: PassCard | None = None) -> list[dict]:
    cards = list(selectors.cards_for_sheet(actor=actor, org=org, card=card))
    members = dict(registry_selectors.resident_list(actor=actor, org=org).order_by().values("household_id")
                   .annotate(n=Count("pk")).values_list("household_id", "n"))
    ids = {i for c in cards for i in path_ids(c.org_path)}
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids, level__in=[Level.DISTRICT, Level.COMMUNITY])}
    rows = []
    for card in cards:
        mine = [units[i] for i in path_ids(card.org_path) if i in units]
        rows.append({
            "card": card,
            "district": next((u.name for u in mine if u.level == Level.DISTRICT), ""),
            "community": next((u.name for u in mine if u.level == Level.COMMUNITY), ""),
            "members": members.get(card.household_id, 0),
            "qr": qr_data_uri(tokens.card_code(card.token)),
        })
    return rows


def sheet_html(*, rows: list[dict], org: OrgUnit, font: str, language: str = "zh-hans") -> str:
    pages = [rows[i:i + PER_PAGE] for i in range(0, len(rows), PER_PAGE)]
    with translation.override(language):
        return render_to_string("checkpoints/card_sheet_pdf.html", {
            "org": org, "font": font,
            # Rows of two: a table keeps the 2 × 4 grid exact in WeasyPrint.
            "pages": [[page[i:i + 2] for i in range(0, len(page), 2)] for page in pages],
        })


def card_sheet_pdf(*, actor, org: OrgUnit, via: Via, card: PassCard | None = None, language: str = "zh-hans") -> bytes:
    """The sheets of the valid cards under `org` (or just `card`, e.g. a reissued one) as PDF
    bytes. DomainError when there are none, or when this server cannot draw Chinese (naming the
    Debian package to install)."""
    require(actor, Capability.MANAGE_CHECKPOINTS)
    weasyprint = weasyprint_load()
    font = cjk_font()
    if font is None:
        raise font_missing()
    rows = sheet_cards(actor=actor, org=org, card=card)
    if not rows:
        raise DomainError(_("No valid pass cards under %(org)s: issue them first.") % {"org": org.name}, field="org", code="no_cards")
    pdf = weasyprint.HTML(string=sheet_html(rows=rows, org=org, font=font, language=language)).write_pdf()
    audit_record(actor=actor, action=AuditAction.EXPORT, via=via, object_type="pass_card", object_label=org.name, org_path=org.path,
                 detail={"sheet": org.code, "cards": len(rows), **({"card": card.number} if card else {})})
    return pdf
