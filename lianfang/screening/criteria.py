"""Who a round looks for, as a pure function of what a visit found (seed 001: "anyone who has
been in or through Wuhan in the last month"; 002: Hubei, out-of-city returnees, contacts,
fever). The same rules judge a form, an API call and an imported row."""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from lianfang.core.errors import DomainError
from lianfang.core.temperature import is_fever
from lianfang.quarantine.models import Category

from .models import CaseContact, Symptom

MAX_TRIPS = 10
_PLACE_SUFFIX = re.compile(r"(省|市|自治区|特别行政区|地区|自治州|区|县)$")


def place_key(text: str) -> str:
    """"湖北省" and "湖北", "武汉市" and "武汉" are one place to a reader."""
    return _PLACE_SUFFIX.sub("", "".join((text or "").split()).lower())


def _date(value, *, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        parsed = parse_date(str(value).strip().replace("/", "-").replace(".", "-"))
    except ValueError:  # well formed but impossible, e.g. 2020-02-30
        parsed = None
    if parsed is None:
        raise DomainError(_("%(value)s is not a date (write 2020-01-23).") % {"value": value}, field=field)
    return parsed


def travel_clean(entries, *, visit_date: dt.date) -> list[dict]:
    """Trips outside the city as stored: [{"place", "from", "to", "transit"}], dates ISO."""
    trips = []
    for entry in entries or []:
        place = " ".join(str(entry.get("place") or "").split())[:60]
        start = _date(entry.get("from"), field="travel")
        end = _date(entry.get("to"), field="travel")
        if not place and start is None and end is None:
            continue  # an empty row left on the form
        if not place:
            raise DomainError(_("Each trip needs the place."), field="travel")
        if start is None and end is None:
            raise DomainError(_("Give the dates of the trip to %(place)s.") % {"place": place}, field="travel")
        if start and end and end < start:
            raise DomainError(_("The trip to %(place)s ends before it starts.") % {"place": place}, field="travel")
        if (start and start > visit_date) or (end and end > visit_date):
            raise DomainError(_("The trip to %(place)s is dated after the visit.") % {"place": place}, field="travel")
        trips.append({"place": place, "from": start.isoformat() if start else "", "to": end.isoformat() if end else "",
                      "transit": bool(entry.get("transit"))})
    if len(trips) > MAX_TRIPS:
        raise DomainError(_("At most %(n)s trips per person.") % {"n": MAX_TRIPS}, field="travel")
    return trips


def symptoms_clean(values) -> list[str]:
    chosen = [v for v in (values or []) if v]
    unknown = [v for v in chosen if v not in Symptom.values]
    if unknown:
        raise DomainError(_("Unknown symptom: %(value)s.") % {"value": unknown[0]}, field="symptoms")
    return sorted(set(chosen), key=Symptom.values.index)


@dataclass(frozen=True)
class Criteria:
    risk_areas: tuple[str, ...]
    lookback_days: int
    flag_risk_area: bool
    flag_case_contact: bool
    flag_out_of_city: bool
    flag_symptoms: bool

    @classmethod
    def of(cls, screening_round) -> "Criteria":
        r = screening_round
        return cls(tuple(r.risk_areas or ()), r.lookback_days, r.flag_risk_area, r.flag_case_contact,
                   r.flag_out_of_city, r.flag_symptoms)


def candidate_reasons(*, criteria: Criteria, visit_date: dt.date, travel: list[dict], case_contact: str,
                      temperature, symptoms: list[str]) -> tuple[list[dict], str]:
    """(reasons, suggested key-person category). A reason is a small dict rendered by
    `describe_reason`, so the list reads in the reader's language."""
    reasons: list[dict] = []
    since = visit_date - dt.timedelta(days=criteria.lookback_days)
    recent = [t for t in travel if (t["to"] or t["from"]) >= since.isoformat()]
    areas = [a for a in criteria.risk_areas if place_key(a)]
    risk_trips = [t for t in recent if any(place_key(a) in place_key(t["place"]) for a in areas)]
    if criteria.flag_symptoms and (is_fever(temperature) or symptoms):
        reasons.append({"code": "symptoms", "temperature": str(temperature) if temperature is not None else "", "symptoms": symptoms})
    if criteria.flag_case_contact and case_contact != CaseContact.NONE:
        reasons.append({"code": "case_contact", "contact": case_contact})
    if criteria.flag_risk_area and risk_trips:
        reasons += [{"code": "risk_area", **trip} for trip in risk_trips]
    if criteria.flag_out_of_city and recent:
        reasons += [{"code": "out_of_city", **trip} for trip in recent if trip not in risk_trips or not criteria.flag_risk_area]
    category = ""
    codes = [r["code"] for r in reasons]
    if "symptoms" in codes:
        category = Category.FEVER_PATIENT
    elif "case_contact" in codes:
        category = Category.CLOSE_CONTACT
    elif "risk_area" in codes:
        stayed = any(not r["transit"] for r in reasons if r["code"] == "risk_area")
        category = Category.RISK_AREA_RETURNEE if stayed else Category.RISK_AREA_TRANSIT
    elif reasons:
        category = Category.OTHER
    return reasons, category


def _period(trip: dict) -> str:
    return "–".join(d for d in (trip.get("from"), trip.get("to")) if d) if trip.get("from") != trip.get("to") else trip.get("to", "")


def describe_reason(reason: dict) -> str:
    code = reason.get("code")
    if code == "symptoms":
        parts = [f"{reason['temperature']} °C"] if reason.get("temperature") else []
        parts += [str(Symptom(s).label) for s in reason.get("symptoms", []) if s in Symptom.values]
        return _("Fever or symptoms: %(what)s") % {"what": "、".join(parts)}
    if code == "case_contact":
        return str(CaseContact(reason["contact"]).label) if reason.get("contact") in CaseContact.values else _("Contact with a case")
    if code == "risk_area":
        label = _("Passed through %(place)s %(period)s") if reason.get("transit") else _("Was in %(place)s %(period)s")
        return label % {"place": reason.get("place", ""), "period": _period(reason)}
    if code == "out_of_city":
        return _("Returned from %(place)s %(period)s") % {"place": reason.get("place", ""), "period": _period(reason)}
    return str(reason)


def describe_travel(travel: list[dict]) -> str:
    return "；".join(f"{t['place']} {_period(t)}".strip() + (f" ({_('transit')})" if t.get("transit") else "") for t in travel or [])
