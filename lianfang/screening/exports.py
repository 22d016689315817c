"""Column layouts of screening's Excel exports; identifiers always masked."""

from django.utils.translation import gettext, gettext_lazy as _

from lianfang.core.excel import Column
from lianfang.core.exports import export_list
from lianfang.core.pii import mask_id_number, mask_phone

from .criteria import describe_reason, describe_travel
from .models import CandidateStatus, CaseContact, Method, Presence, Result, Symptom
from .selectors import ledger_rows

_labels = {name: dict(choices.choices) for name, choices in (
    ("method", Method), ("result", Result), ("presence", Presence), ("contact", CaseContact), ("status", CandidateStatus))}


def _label(kind: str, value) -> str:
    return str(_labels[kind].get(value, "")) if value else ""


def _symptoms(values) -> str:
    return "、".join(str(Symptom(s).label) for s in values or [] if s in Symptom.values)


def _reasons(values) -> str:
    return "；".join(describe_reason(r) for r in values or [])


# The customary 摸排台账 layout (seed 001): one row per person. Rows are `ledger_rows` dicts.
LEDGER_COLUMNS = [
    Column(_("Grid"), lambda r: r["household__grid__name"], 12),
    Column(_("Address"), lambda r: r["household__address"], 30),
    Column(_("Name"), lambda r: r["name"], 10),
    Column(_("ID number"), lambda r: mask_id_number(r["id_number"]), 20),
    Column(_("Phone"), lambda r: mask_phone(r["phone"]), 14),
    Column(_("Where now"), lambda r: " ".join(filter(None, (_label("presence", r["chk__presence"]), r["chk__whereabouts"] or ""))), 14),
    Column(_("Travel history"), lambda r: describe_travel(r["chk__travel"]), 30),
    Column(_("Contact with cases"), lambda r: _label("contact", r["chk__case_contact"]), 12),
    Column(_("Temperature (°C)"), lambda r: float(r["chk__temperature"]) if r["chk__temperature"] is not None else None, 8),
    Column(_("Symptoms"), lambda r: _symptoms(r["chk__symptoms"]), 12),
    Column(_("Visit method"), lambda r: _label("method", r["vis__method"]), 10),
    Column(_("Result"), lambda r: _label("result", r["vis__result"]) or _("Not yet visited"), 12),
    Column(_("Key-person candidate"), lambda r: _reasons(r["chk__candidate_reasons"]) if r["chk__is_candidate"] else "", 30),
    Column(_("Decision"), lambda r: _label("status", r["chk__candidate_status"]), 12),
    Column(_("Visitor"), lambda r: r["vis__visitor_name"], 10),
    Column(_("Visit date"), lambda r: r["vis__visited_at"], 16),
]

UNVISITED_COLUMNS = [
    Column(_("Grid"), lambda h: h.grid.name, 12),
    Column(_("Building/compound"), lambda h: h.org.name, 14),
    Column(_("Address"), lambda h: h.address, 30),
    Column(_("Room"), lambda h: h.room, 8),
    Column(_("Head of household"), lambda h: h.head_name, 10),
    Column(_("Phone"), lambda h: mask_phone(h.phone), 14),
    Column(_("Revisit due"), lambda h: h.revisit_due, 12),
    Column(_("Last visited"), lambda h: h.last_visited_at, 16),
]

CANDIDATE_COLUMNS = [
    Column(_("Grid"), lambda c: c.visit.grid.name, 12),
    Column(_("Address"), lambda c: c.visit.household.address, 30),
    Column(_("Name"), lambda c: c.resident.name, 10),
    Column(_("ID number"), lambda c: mask_id_number(c.resident.id_number), 20),
    Column(_("Phone"), lambda c: mask_phone(c.resident.phone), 14),
    Column(_("Reasons"), lambda c: _reasons(c.candidate_reasons), 36),
    Column(_("Travel history"), lambda c: describe_travel(c.travel), 30),
    Column(_("Temperature (°C)"), lambda c: float(c.temperature) if c.temperature is not None else None, 8),
    Column(_("Decision"), lambda c: c.get_candidate_status_display(), 12),
    Column(_("Reason for dismissal"), lambda c: c.dismiss_reason, 20),
    Column(_("Visitor"), lambda c: c.visit.visitor_name, 10),
    Column(_("Visit date"), lambda c: c.visit.visited_at, 16),
]

WORK_LOG_COLUMNS = [
    Column(_("Date"), lambda e: e.day, 12),
    Column(_("Unit"), lambda e: e.node.name, 16),
    Column(_("Visits"), lambda e: e.visits, 8),
    Column(_("Households done"), lambda e: e.households_done, 10),
    Column(_("Revisits due"), lambda e: e.revisits, 10),
    Column(_("Refused"), lambda e: e.refused, 8),
    Column(_("People checked"), lambda e: e.residents_checked, 10),
    Column(_("Candidates"), lambda e: e.candidates, 10),
    Column(_("Visitors"), lambda e: e.visitors, 8),
]

ROUND_COLUMNS = [
    Column(_("Round"), lambda r: r.name, 20),
    Column(_("Round number"), lambda r: r.number, 8),
    Column(_("Scope"), lambda r: r.scope.name, 16),
    Column(_("From"), lambda r: r.starts_on, 12),
    Column(_("To"), lambda r: r.ends_on, 12),
    Column(_("Risk areas"), lambda r: "、".join(r.risk_areas), 20),
    Column(_("Within days"), lambda r: r.lookback_days, 8),
    Column(_("Status"), lambda r: r.get_status_display(), 8),
]


def ledger_export(*, actor, screening_round, base, via):
    """The round's 摸排台账 of `base` as an .xlsx response (page and API): scoped, masked, audited."""
    return export_list(actor=actor, via=via, object_type="screening_ledger",
                       queryset=ledger_rows(actor=actor, screening_round=screening_round, org=base), columns=LEDGER_COLUMNS,
                       name=f"{gettext('screening ledger')}-{base.name}", personal=True,
                       filters={"round": str(screening_round.uid), "org": base.code})
