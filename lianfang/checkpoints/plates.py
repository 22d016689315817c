"""Mainland vehicle plates as typed at a gate: "京A·12345", "粤b d12345 " → "京A12345", "粤BD12345"."""

import re
import unicodedata

from django.utils.translation import gettext as _

from lianfang.core.errors import DomainError

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Province, issuing-office letter (no I or O), then 5 characters (6 for new-energy plates);
# the last may be 挂 (trailer), 学 (driving school), 警, 港 or 澳.
_PLATE = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{5}}|[A-HJ-NP-Z0-9]{{6}}|[A-HJ-NP-Z0-9]{{4}}[挂学警港澳])$")
_SEPARATORS = re.compile(r"[\s·.\-•・]+")


def plate_parse(raw: str | None, *, field: str = "plate") -> str:
    """"" for no vehicle; the plate as stored; DomainError for anything else."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text:
        return ""
    # Upper-case ASCII only: str.upper() would turn "ß" into "SS" and let it through.
    text = "".join(c.upper() if c.isascii() else c for c in text)
    if not _PLATE.match(text):
        raise DomainError(_("%(plate)s is not a vehicle plate. A plate looks like 京A12345 (new-energy: 京AD12345).")
                          % {"plate": (raw or "").strip()[:20]}, field=field, code="plate")
    return text
