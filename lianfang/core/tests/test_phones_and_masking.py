import pytest
from hypothesis import given, strategies as st

from lianfang.core import phones
from lianfang.core.pii import mask_id_number, mask_phone

mobiles = st.from_regex(r"\A1(3[0-9]|5[0-35-9]|8[0-9]|9[189])[0-9]{8}\Z")
id_numbers = st.from_regex(r"\A[1-6][0-9]{16}[0-9X]\Z")


@given(mobiles)
def test_it_accepts_mainland_mobiles_in_any_layout(number):
    assert phones.parse(number) == number
    assert phones.parse(f"+86 {number[:3]} {number[3:7]} {number[7:]}") == number
    assert phones.parse(f"{number[:3]}-{number[3:7]}-{number[7:]}") == number
    assert phones.parse(float(number)) == number  # a phone column kept as numbers in Excel


@pytest.mark.parametrize("raw", ["0931-8123456", "010 6234 5678", "(0931)8123456"])
def test_it_accepts_landlines_with_area_code(raw):
    assert phones.parse(raw).startswith("0")


@pytest.mark.parametrize(
    "raw, reason",
    [("8123456", "area code"), ("1381234567", "11 digits"), ("138123456789", "11 digits"), ("12345678901", "not a valid"),
     ("138abcd5678", "only digits"), ("", "empty")],
)
def test_it_rejects_bad_phones_with_a_reason(raw, reason):
    with pytest.raises(phones.PhoneError, match=reason):
        phones.parse(raw)


@given(id_numbers)
def test_id_mask_keeps_only_region_and_last_four(number):
    masked = mask_id_number(number)
    assert masked == number[:6] + "********" + number[-4:]
    assert len(masked) == len(number)


@given(mobiles)
def test_phone_mask_keeps_only_prefix_and_last_four(number):
    assert mask_phone(number) == number[:3] + "****" + number[-4:]


@given(st.text(alphabet="0123456789X", max_size=30))
def test_masks_never_show_the_middle_of_anything(value):
    for masked in (mask_id_number(value), mask_phone(value)):
        assert len(masked) == len(value)
        hidden = [c for c in masked if c != "*"]
        assert len(hidden) <= max(10, len(value) // 2 + 3) or not value
    assert mask_id_number("") == "" and mask_phone(None) == ""
