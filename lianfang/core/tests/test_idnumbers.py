import datetime as dt

import pytest
from hypothesis import given, strategies as st

from lianfang.core import idnumbers
from lianfang.core.idnumbers import IdNumberError, check_digit, parse

PROVINCES = sorted(idnumbers.PROVINCES - {"71"})


@st.composite
def valid_numbers(draw):
    region = draw(st.sampled_from(PROVINCES)) + draw(st.from_regex(r"\A[0-9]{4}\Z"))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)))
    order = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    first17 = f"{region}{born:%Y%m%d}{order}"
    return first17 + check_digit(first17)


@given(valid_numbers())
def test_it_accepts_valid_numbers_and_derives_birth_and_sex(number):
    parsed = parse(number)
    assert parsed.number == number
    assert parsed.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert parsed.sex == ("M" if int(number[16]) % 2 else "F")


@given(valid_numbers(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_it_rejects_any_single_mistyped_digit(number, position, delta):
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    with pytest.raises(IdNumberError):
        parse(wrong)


@given(valid_numbers())
def test_it_normalises_full_width_spaces_and_lower_x(number):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert parse(full_width).number == number
    assert parse(spaced).number == number
    assert parse("'" + number).number == number  # Excel's text marker


@given(valid_numbers().filter(lambda n: "1900" <= n[6:10] <= "1999"))
def test_it_upgrades_15_digit_numbers(number):
    old = number[:6] + number[8:17]
    parsed = parse(old)
    assert parsed.number == number
    assert parsed.upgraded_from == old


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("11010519491231002", "18 characters"),
        ("110105194912310021", "check digit is wrong"),
        ("11010519491331002X", "not a real date"),
        ("99010519491231002X", "region code"),
        ("110105491331002", "not a real date"),
        ("1.10105E+17", "stored as a number in Excel"),
        (1.1010519491231e17, "stored as a number in Excel"),
        ("1101051949123100AX", "17 digits followed by a digit or X"),
        ("", "empty"),
    ],
)
def test_it_explains_why_a_number_is_rejected(raw, reason):
    with pytest.raises(IdNumberError, match=reason):
        parse(raw)


def test_it_rejects_a_birth_date_in_the_future():
    first17 = f"110105{dt.date.today().year + 1}0101001"
    with pytest.raises(IdNumberError, match="impossible"):
        parse(first17 + check_digit(first17))


def test_it_accepts_hong_kong_macao_taiwan_residence_permits():
    first17 = "81000019940823002"
    parsed = parse(first17 + check_digit(first17))
    assert parsed.is_permit and parsed.sex == "F"
