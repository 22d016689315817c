"""Pass-card sheets (PDF) and reading a photographed QR code."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router
from ninja.files import UploadedFile

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via
from lianfang.core.errors import DomainError
from lianfang.core.roles import Capability
from lianfang.core.services import require

from . import tokens
from .cards_pdf import card_sheet_pdf

router = Router(tags=["checkpoints"])

MAX_PHOTO_BYTES = 8 * 1024 * 1024


@router.get("/pass-cards/sheet.pdf")
def card_sheet(request, org: str):
    """Printable A4 sheets of the valid cards under a unit: eight a page, with cut lines."""
    unit = core_selectors.access_org_unit(actor=request.user, code=org)
    pdf = card_sheet_pdf(actor=request.user, org=unit, via=Via.from_request(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pass-cards-{unit.code}.pdf"'
    return response


def qr_read(upload) -> str:
    """The text of the QR code in a photo: ours first when there are several (a poster behind
    the card). DomainError when the file is not a photo or holds no QR code."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if upload.size > MAX_PHOTO_BYTES:
        raise DomainError(_("The photo is larger than 8 MB; take it again at a lower resolution."), field="image", code="too_large")
    try:
        with Image.open(upload) as image:
            image.load()
            found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as e:
        raise DomainError(_("This file is not a photo (JPEG or PNG)."), field="image", code="not_an_image") from e
    texts = [r.text for r in found if r.text]
    if not texts:
        raise DomainError(_("No QR code was found in the photo. Hold the card flat, fill the frame with it and avoid glare."),
                          field="image", code="no_qr")
    return next((t for t in texts if t.upper().startswith(tokens.PREFIX)), texts[0])


@router.post("/pass-cards/decode", response={200: dict})
def card_decode(request, image: File[UploadedFile]):
    """Read a pass card from a photo (for phones whose camera cannot scan): {"code": text}."""
    require(request.user, Capability.RECORD_PASSAGES)
    return {"code": qr_read(image)}
