"""The rules that turn what a visit found into a key-person candidate, and the parsers of
what is typed on a phone."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianfang.core.errors import DomainError
from lianfang.core.temperature import temperature_parse
from lianfang.screening.criteria import Criteria, candidate_reasons, describe_reason, place_key, travel_clean

VISIT = dt.date(2020, 2, 1)
HUBEI = Criteria(risk_areas=("湖北省",), lookback_days=14, flag_risk_area=True, flag_case_contact=True, flag_out_of_city=True,
                 flag_symptoms=True)


def reasons(**found):
    values = {"travel": [], "case_contact": "none", "temperature": None, "symptoms": [], **found}
    values["travel"] = travel_clean(values["travel"], visit_date=VISIT)
    return candidate_reasons(criteria=HUBEI, visit_date=VISIT, **values)


def test_nothing_found_is_no_candidate():
    assert reasons() == ([], "")


def test_a_wuhan_stay_within_the_period_is_a_returnee_from_a_risk_area():
    found, category = reasons(travel=[{"place": "湖北 武汉市", "from": "2020-01-18", "to": "2020-01-23"}])
    assert [r["code"] for r in found] == ["risk_area"] and category == "risk_area_returnee"
    assert describe_reason(found[0]) == "Was in 湖北 武汉市 2020-01-18–2020-01-23"


def test_passing_through_is_a_transit_and_the_period_is_inclusive():
    found, category = reasons(travel=[{"place": "湖北", "to": "2020-01-18", "transit": True}])  # exactly 14 days before
    assert category == "risk_area_transit"
    assert reasons(travel=[{"place": "湖北", "to": "2020-01-17"}]) == ([], "")


def test_another_city_is_only_an_out_of_city_return():
    found, category = reasons(travel=[{"place": "广东深圳", "from": "2020-01-25", "to": "2020-01-30"}])
    assert [r["code"] for r in found] == ["out_of_city"] and category == "other"


def test_fever_outranks_travel_in_the_suggested_category():
    found, category = reasons(temperature=Decimal("37.3"), travel=[{"place": "湖北", "to": "2020-01-30"}])
    assert category == "fever_patient" and found[0]["code"] == "symptoms"
    assert reasons(temperature=Decimal("37.2")) == ([], "")


def test_a_round_not_looking_for_contacts_ignores_them():
    quiet = Criteria(("湖北",), 14, True, False, False, False)
    assert candidate_reasons(criteria=quiet, visit_date=VISIT, travel=[], case_contact="confirmed", temperature=None, symptoms=[]) == ([], "")


@pytest.mark.parametrize("trip, message", [
    ({"place": "", "from": "2020-01-01"}, "needs the place"),
    ({"place": "湖北"}, "Give the dates"),
    ({"place": "湖北", "from": "2020-01-20", "to": "2020-01-10"}, "ends before it starts"),
    ({"place": "湖北", "to": "2020-02-02"}, "after the visit"),
    ({"place": "湖北", "to": "1月2日"}, "is not a date"),
])
def test_bad_trips_are_explained(trip, message):
    with pytest.raises(DomainError) as e:
        travel_clean([trip], visit_date=VISIT)
    assert message in str(e.value.message)


@given(st.text(max_size=12))
def test_place_key_ignores_spaces_and_administrative_suffixes(text):
    key = place_key(text)
    assert place_key(f" {text} ") == key
    assert place_key(text + "省") == place_key(text) or text.endswith(("省", "市", "区", "县"))


@given(st.decimals(min_value=Decimal("34.0"), max_value=Decimal("43.0"), places=1))
def test_every_body_temperature_is_accepted_as_typed(value):
    assert temperature_parse(str(value)) == value
    assert temperature_parse(f" {value}℃ ") == value


@given(st.decimals(min_value=Decimal("34.0"), max_value=Decimal("43.0"), places=1))
def test_a_slipped_decimal_point_gets_the_intended_value_suggested(value):
    typed = str(int(value * 10))  # 36.5 typed as 365
    with pytest.raises(DomainError) as e:
        temperature_parse(typed)
    assert f"Did you mean {value}?" in str(e.value.message)


@given(st.one_of(st.text(max_size=8), st.floats(allow_nan=True, allow_infinity=True)))
def test_temperature_parse_accepts_or_explains_anything(raw):
    try:
        value = temperature_parse(raw)
    except DomainError as e:
        assert e.field == "temperature" and str(e.message)
    else:
        assert value is None or Decimal("34.0") <= value <= Decimal("43.0")
