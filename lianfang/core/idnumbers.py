"""Resident identity numbers: GB 11643-1999 (18 characters, ISO 7064 MOD 11-2 check digit).

Also the residence permits for Hong Kong, Macao and Taiwan residents (prefix 81/82/83,
same layout and check digit) that stdnum's region table does not know.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _
from stdnum.cn import ric

# Province-level prefixes (GB/T 2260); region tables change, but old numbers stay valid for life,
# so only the province is checked, not the county.
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71".split()
)
PERMIT_PREFIXES = {"810000": "HK", "820000": "MO", "830000": "TW"}
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
_STRIP = re.compile(r"[\s\-_'\"‘’“”`]+")


class IdNumberError(ValueError):
    pass


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: dt.date
    sex: str  # "M" / "F": the 17th digit, odd for men
    upgraded_from: str = ""  # the 15-digit number it came from, if any

    @property
    def is_permit(self) -> bool:
        return self.number[:6] in PERMIT_PREFIXES


def normalize(raw: object) -> str:
    """Full-width digits, spaces, hyphens, Excel's text quote and a lower-case x are what
    people type; none of them is part of the number."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else ""))
    return _STRIP.sub("", text).upper()


def check_digit(first17: str) -> str:
    return ric.calc_check_digit(first17 + "?")  # stdnum ignores the last character


def _birth_date(digits8: str) -> dt.date:
    # dt.date() rather than strptime: this runs for every row of a million-row import.
    try:
        born = dt.date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        raise IdNumberError(_("the birth date %(date)s in the ID number is not a real date") % {"date": digits8})
    if born.year < 1890 or born > dt.date.today():
        raise IdNumberError(_("the birth date %(date)s in the ID number is impossible") % {"date": born.isoformat()})
    return born


def parse(raw: object, *, today: dt.date | None = None) -> IdNumber:
    """Return the validated number or raise IdNumberError with a reason a person can act on."""
    if isinstance(raw, float):
        raise IdNumberError(
            _("the ID number was stored as a number in Excel and lost its last digits; format the column as Text and type it again")
        )
    number = normalize(raw)
    if not number:
        raise IdNumberError(_("the ID number is empty"))
    if _SCIENTIFIC.match(number):
        raise IdNumberError(
            _("the ID number was stored as a number in Excel (%(shown)s) and lost its last digits; format the column as Text and type it again")
            % {"shown": number}
        )
    if number.endswith(".0") and number[:-2].isdigit():
        number = number[:-2]
    if len(number) == 15 and number.isdigit():
        # Old 15-digit numbers (before 1999): all births in the 1900s, no check digit.
        born = _birth_date("19" + number[6:12])
        first17 = number[:6] + "19" + number[6:]
        full = first17 + check_digit(first17)
        return IdNumber(full, born, "M" if int(number[14]) % 2 else "F", upgraded_from=number)
    if len(number) != 18:
        raise IdNumberError(
            _("an ID number has 18 characters (or 15 for an old one); this one has %(n)d") % {"n": len(number)}
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(_("an ID number is 17 digits followed by a digit or X"))
    if number[:2] not in PROVINCES and number[:6] not in PERMIT_PREFIXES:
        raise IdNumberError(_("the region code %(code)s at the start of the ID number does not exist") % {"code": number[:6]})
    born = _birth_date(number[6:14])
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError(
            _("the check digit is wrong (last character %(got)s, expected %(expected)s): a digit was probably mistyped")
            % {"got": number[17], "expected": expected}
        )
    return IdNumber(number, born, "M" if int(number[16]) % 2 else "F")


def is_valid(raw: object) -> bool:
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True
