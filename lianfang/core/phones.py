"""Mainland phone numbers: mobiles (11 digits from 1) and landlines with their area code."""

import re
import unicodedata

import phonenumbers
from django.utils.translation import gettext as _

_STRIP = re.compile(r"[\s\-()（）.'+]+")


class PhoneError(ValueError):
    pass


def parse(raw: object) -> str:
    """Return the number as stored ("13812345678", "093188123456") or raise PhoneError."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # Excel keeps phone columns as numbers
    text = _STRIP.sub("", unicodedata.normalize("NFKC", str(raw if raw is not None else "")))
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text:
        raise PhoneError(_("the phone number is empty"))
    if not text.isdigit():
        raise PhoneError(_("a phone number has only digits (and -, spaces)"))
    for prefix in ("0086", "86"):
        if text.startswith(prefix) and len(text) - len(prefix) in (11, 12) and text[len(prefix)] in "10" + "23456789":
            text = text[len(prefix):]
            break
    if text.startswith("1"):
        if len(text) != 11:
            raise PhoneError(_("a mobile number has 11 digits; this one has %(n)d") % {"n": len(text)})
    elif not text.startswith("0"):
        raise PhoneError(_("a landline needs its area code, e.g. 0931-8123456"))
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise PhoneError(_("this is not a phone number"))
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError(_("this is not a valid mainland phone number"))
    return text


def is_valid(raw: object) -> bool:
    try:
        parse(raw)
    except PhoneError:
        return False
    return True
