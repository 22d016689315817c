"""Body temperatures as typed on a phone: validated 34.0–43.0 °C, with the likely intended
value suggested for a slip of the decimal point (365 → 36.5, 3.65 → 36.5)."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .errors import DomainError

LOWEST = Decimal("34.0")
HIGHEST = Decimal("43.0")
# DOMAIN.md: fever is 37.3 °C or more.
FEVER = Decimal("37.3")


def _suggestion(value: Decimal) -> Decimal | None:
    if abs(value) >= 10000:  # no slip of the decimal point; also keeps quantize in range
        return None
    for factor in (Decimal("0.1"), Decimal("10"), Decimal("0.01")):
        guess = (value * factor).quantize(Decimal("0.1"))
        if LOWEST <= guess <= HIGHEST:
            return guess
    return None


def temperature_parse(raw, *, field: str = "temperature") -> Decimal | None:
    """None for an empty value; a Decimal with one decimal place; DomainError otherwise."""
    text = str(raw).strip().replace("，", ".").replace(",", ".").replace("℃", "").replace("°C", "").replace("°", "") if raw is not None else ""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DomainError(_("Enter the temperature as a number, e.g. 36.5."), field=field, code="temperature")
    if not value.is_finite():
        raise DomainError(_("Enter the temperature as a number, e.g. 36.5."), field=field, code="temperature")
    if LOWEST <= value <= HIGHEST:
        return value.quantize(Decimal("0.1"))
    guess = _suggestion(value)
    if guess is not None:
        raise DomainError(_("%(value)s °C is not a body temperature. Did you mean %(guess)s?") % {"value": text, "guess": guess},
                          field=field, code="temperature")
    raise DomainError(_("A body temperature is between 34.0 and 43.0 °C."), field=field, code="temperature")


def is_fever(value: Decimal | None) -> bool:
    return value is not None and value >= FEVER
