"""Properties of the two parsers of what a gate types or scans: vehicle plates and card codes."""

import re

import pytest
from django.core import signing
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lianfang.core.errors import DomainError

from .. import tokens
from ..plates import PROVINCES, plate_parse

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
ALNUM = LETTERS + "0123456789"
CANONICAL = re.compile(rf"^[{PROVINCES}][{LETTERS}][{ALNUM}]{{4}}[{ALNUM}挂学警港澳][{ALNUM}]?$")

provinces = st.sampled_from(PROVINCES)
letters = st.sampled_from(LETTERS)
alnum = st.sampled_from(ALNUM)
ordinary = st.builds(lambda p, l, s: p + l + "".join(s), provinces, letters, st.lists(alnum, min_size=5, max_size=5))
new_energy = st.builds(lambda p, l, s: p + l + "".join(s), provinces, letters, st.lists(alnum, min_size=6, max_size=6))
special = st.builds(lambda p, l, s, t: p + l + "".join(s) + t, provinces, letters, st.lists(alnum, min_size=4, max_size=4),
                    st.sampled_from("挂学警港澳"))
plates = st.one_of(ordinary, new_energy, special)
separators = st.sampled_from([" ", "·", ".", "-", "•", "・", "\t", "\u3000", "  "])


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def typed(draw):
    """A valid plate as a person might type it: lower case, separators, full-width characters."""
    plate = draw(plates)
    out = []
    for ch in plate:
        if draw(st.booleans()):
            ch = ch.lower()
        if draw(st.integers(0, 4)) == 0:
            ch = fullwidth(ch)
        out.append(ch)
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(separators))
    return plate, draw(st.sampled_from(["", " "])) + "".join(out) + draw(st.sampled_from(["", " ", "\n"]))


@given(plates)
def test_a_valid_plate_is_stored_as_it_is(plate):
    assert plate_parse(plate) == plate


@given(typed())
@example(("京A12345", "京a·12345"))
@example(("粤BD12345", "粤b d12345 "))
@example(("京A12345", "京Ａ１２３４５"))
def test_a_plate_typed_loosely_is_stored_canonical(pair):
    plate, text = pair
    assert plate_parse(text) == plate


@given(st.text(max_size=20))
@settings(max_examples=500)
@example("ß京A1")
@example("京Aßß1")
@example("京Aﬀ123")
def test_any_text_is_either_no_vehicle_a_canonical_plate_or_a_clear_error(text):
    try:
        out = plate_parse(text)
    except DomainError as e:
        assert (e.field, e.code) == ("plate", "plate") and e.message
        return
    assert out == "" or (CANONICAL.match(out) and len(out) <= 10), out
    assert plate_parse(out) == out


@given(st.text(alphabet=" ·.-•・\t\n\u3000", max_size=6))
def test_no_plate_is_no_vehicle(text):
    assert plate_parse(text) == "" and plate_parse(None) == ""


@given(plates, st.sampled_from(["I", "O"]), st.integers(2, 6))
def test_the_letters_i_and_o_are_never_part_of_a_plate(plate, letter, position):
    mangled = plate[:position] + letter + plate[position + 1:]
    with pytest.raises(DomainError):
        plate_parse(mangled)


@given(plates, st.text(alphabet=ALNUM, min_size=1, max_size=3))
def test_a_plate_too_long_is_refused(plate, extra):
    if plate[-1] in "挂学警港澳" or len(plate) + len(extra) > 8:
        with pytest.raises(DomainError):
            plate_parse(plate + extra)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10))
@example("ß")
def test_only_real_province_characters_start_a_plate(prefix):
    text = prefix + "A12345"
    if prefix and prefix[0] not in PROVINCES:
        try:
            out = plate_parse(text)
        except DomainError:
            return
        assert out[0] in PROVINCES


# --- card codes --------------------------------------------------------------------------------

token_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=32)


@given(token_text)
def test_a_signed_token_reads_back(token):
    assert tokens.token_from_code(tokens.card_code(token)) == token


@given(token_text, st.sampled_from(["", " ", "\n", "\r\n", "\t"]), st.booleans())
def test_a_code_reads_back_whatever_the_scanner_adds_around_it(token, noise, lower_prefix):
    text = tokens.card_code(token)
    if lower_prefix:
        text = text[:5].lower() + text[5:]
    assert tokens.token_from_code(noise + text + noise) == token


@given(st.text(max_size=80))
@settings(max_examples=500)
@example("LFP1:abc:def")
@example("LFP1:" + "a" * 22)
@example(":")
def test_any_text_is_a_known_token_or_a_clear_card_error(text):
    try:
        token = tokens.token_from_code(text)
    except DomainError as e:
        assert e.field == "card" and e.code in ("card_missing", "card_unknown")
        return
    # Only what the server signed opens: the text must have been a code of ours.
    assert tokens.card_code(token)[5:] == "".join(text.split())[-len(tokens.card_code(token)[5:]):]


@given(token_text, st.integers(0, 200), st.characters(codec="ascii", exclude_characters=" \t\n\r\x0b\x0c"))
def test_changing_any_character_of_the_signature_breaks_it(token, position, ch):
    text = tokens.card_code(token)
    signature_start = text.rindex(":") + 1
    i = signature_start + position % (len(text) - signature_start)
    if text[i] == ch:
        return
    with pytest.raises(DomainError):
        tokens.token_from_code(text[:i] + ch + text[i + 1:])


@given(token_text, st.text(min_size=1, max_size=20))
def test_a_signature_made_for_another_purpose_does_not_open_the_gate(token, salt):
    if salt == "lianfang.checkpoints.pass_card":
        return
    with pytest.raises(DomainError):
        tokens.token_from_code("LFP1:" + signing.Signer(salt=salt).sign(token))
