"""PDF papers drawn with WeasyPrint (the quarantine notice, the pass-card sheets).

WeasyPrint draws text through Pango and finds fonts through fontconfig, so the machine needs
Debian's libpango-1.0-0 and a CJK font (fonts-noto-cjk). Without a CJK font every Chinese
character would print as an empty box, so we refuse with a message that names the package."""

import functools
import glob
import shutil
import subprocess

from django.utils.translation import gettext as _

from .errors import DomainError

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


def weasyprint_load():
    """The weasyprint module; DomainError naming the Debian packages when it cannot load."""
    try:
        import weasyprint
    except (ImportError, OSError) as e:  # OSError: the Pango library itself is missing
        raise DomainError(
            _("PDF files cannot be made on this server: WeasyPrint or Pango could not be loaded (%(error)s). "
              "Ask the administrator to run: apt-get install %(packages)s") % {"error": str(e)[:200], "packages": PANGO_PACKAGES},
            code="pdf_unavailable") from e
    return weasyprint


def font_missing() -> DomainError:
    return DomainError(
        _("No Chinese font is installed on this server, so the PDF would print empty boxes. "
          "Ask the administrator to install the Debian package %(package)s (apt-get install %(package)s).")
        % {"package": FONT_PACKAGE}, code="font_missing")
