"""The medical observation notice (医学观察告知书, seed 002): an A4 PDF the doctor hands over and
both sign at the door, stating the period, the rules and whom to call.

Rendered with WeasyPrint from templates/quarantine/notice_pdf.html, in Chinese by default
whatever the reader's interface language: it is a paper for the person under observation.
WeasyPrint draws text through Pango and finds fonts through fontconfig, so the machine needs
Debian's libpango-1.0-0 and a CJK font (fonts-noto-cjk); without a CJK font every Chinese
character would print as an empty box, so we refuse with a message that names the package."""

import functools
import glob
import shutil
import subprocess

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.core.errors import DomainError
from lianfang.core.models import Level, OrgUnit, path_ids
from lianfang.core.pii import id_tail

from .models import Duty, OrderKind, QuarantineOrder
from .policy import policy_for

PANGO_PACKAGES = "libpango-1.0-0 fonts-noto-cjk"
FONT_PACKAGE = "fonts-noto-cjk"
# Simplified Chinese faces first: the Japanese/Korean variants of the same fonts draw some
# characters in other regional forms.
PREFERRED_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "Source Han Sans SC",
                      "WenQuanYi Zen Hei", "AR PL UMing CN")


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font that covers Chinese, or None. Asks fontconfig (what
    Pango uses); without `fc-list`, looks for Noto CJK files where Debian puts them."""
    families: list[str] = []
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "family"], check=False, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in out.splitlines():
            families.extend(f.strip() for f in line.split(",") if f.strip())
    else:
        for path in glob.glob("/usr/share/fonts/**/Noto*CJK*", recursive=True):
            families.append("Noto Serif CJK SC" if "Serif" in path else "Noto Sans CJK SC")
    for family in PREFERRED_FAMILIES:
        if family in families:
            return family
    return families[0] if families else None


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as e:  # OSError: the Pango library itself is missing
        raise DomainError(
            _("PDF notices cannot be made on this server: WeasyPrint or Pango could not be loaded (%(error)s). "
              "Ask the administrator to run: apt-get install %(packages)s") % {"error": str(e)[:200], "packages": PANGO_PACKAGES},
            code="pdf_unavailable") from e
    return weasyprint


def _issuers(org_path: str) -> dict[str, OrgUnit]:
    """The street and community of the person's address: they issue the notice."""
    units = OrgUnit.objects.filter(pk__in=path_ids(org_path), level__in=[Level.STREET, Level.COMMUNITY])
    return {u.level: u for u in units}


DUTY_TASKS = {
    Duty.TOWN: lambda: _("answerable for the whole observation; arranges help"),
    Duty.VILLAGE: lambda: _("daily contact; buys groceries and medicine for you"),
    Duty.GROUP: lambda: _("watches the door; first person to call"),
    Duty.DOCTOR: lambda: _("takes your temperature twice a day; call about any symptom"),
    Duty.POLICE: lambda: _("checks that the observation is kept"),
}


def notice_context(order: QuarantineOrder) -> dict:
    order = (QuarantineOrder.objects.select_related("resident__household", "room__site", "notice_signed_by")
             .prefetch_related("cadres", "extensions").get(pk=order.pk))
    issuers = _issuers(order.org_path)
    policy = policy_for(district_id=order.district_id)
    cadres = [{"duty": c.get_duty_display(), "name": c.name, "phone": c.phone, "task": DUTY_TASKS[c.duty]() if c.duty in DUTY_TASKS else ""}
              for c in order.cadres.all()]
    extended = sum(e.days for e in order.extensions.all())
    return {
        "order": order,
        "resident": order.resident,
        "id_tail": id_tail(order.resident.id_number),
        "central": order.kind == OrderKind.CENTRAL,
        "home_observation": order.kind == OrderKind.HOME_OBSERVATION,
        "street": issuers.get(Level.STREET),
        "community": issuers.get(Level.COMMUNITY),
        "policy": policy,
        "cadres": cadres,
        "extended_days": extended,
        "reference": order.uid.hex[:8].upper(),
        "issued_on": timezone.localtime(order.created_at).date() if order.created_at else order.start_date,
        "signed_at": timezone.localtime(order.notice_signed_at) if order.notice_signed_at else None,
        "signed_by": order.notice_signed_by,
    }


def notice_html(*, order: QuarantineOrder, language: str = "zh-hans", font: str | None = None) -> str:
    with translation.override(language):
        context = notice_context(order)
        context["font"] = font or cjk_font() or "sans-serif"
        return render_to_string("quarantine/notice_pdf.html", context)


def notice_pdf(*, order: QuarantineOrder, language: str = "zh-hans") -> bytes:
    """The notice of `order` as PDF bytes (A4). Raises DomainError when the server cannot draw
    Chinese (no CJK font, no Pango), naming the Debian packages to install."""
    weasyprint = _weasyprint()
    font = cjk_font()
    if font is None:
        raise DomainError(
            _("No Chinese font is installed on this server, so the notice would print empty boxes. "
              "Ask the administrator to install the Debian package %(package)s (apt-get install %(package)s).")
            % {"package": FONT_PACKAGE}, code="font_missing")
    html = notice_html(order=order, language=language, font=font)
    return weasyprint.HTML(string=html).write_pdf()
