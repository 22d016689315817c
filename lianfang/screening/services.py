"""Writes of screening: rounds, visits with their person checks, candidate decisions.
Every write is atomic and audited."""

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import Via, audit_record, changed_fields
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import AuditAction, OrgUnit
from lianfang.core.roles import Capability
from lianfang.core.scoping import in_jurisdiction
from lianfang.core.services import require
from lianfang.core.temperature import temperature_parse
from lianfang.quarantine.models import Category
from lianfang.quarantine.services import key_person_register
from lianfang.registry.models import Household, Resident
from lianfang.registry.services import resident_register

from .criteria import Criteria, candidate_reasons, describe_reason, place_key, symptoms_clean, travel_clean
from .models import (
    NOBODY_RESULTS, CandidateStatus, CaseContact, Method, PersonCheck, Presence, Result, ScreeningRound, ScreeningVisit,
)
from .selectors import round_manageable

ROUND_FIELDS = ("name", "number", "starts_on", "ends_on", "risk_areas", "lookback_days", "flag_risk_area",
                "flag_case_contact", "flag_out_of_city", "flag_symptoms", "criteria_notes")
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=10)


def _round_values(*, name: str, number: int, starts_on: dt.date, ends_on: dt.date, risk_areas, lookback_days: int,
                  flag_risk_area: bool, flag_case_contact: bool, flag_out_of_city: bool, flag_symptoms: bool,
                  criteria_notes: str) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Give the round a name."), field="name")
    if not starts_on or not ends_on:
        raise DomainError(_("Give the period of the round."), field="starts_on")
    if ends_on < starts_on:
        raise DomainError(_("The round ends before it starts."), field="ends_on")
    if not 1 <= (number or 0) <= 99:
        raise DomainError(_("The round number is 1 for the first screening, 2 for the first re-screen..."), field="number")
    if not 1 <= (lookback_days or 0) <= 366:
        raise DomainError(_("Look back between 1 and 366 days."), field="lookback_days")
    if isinstance(risk_areas, str):
        risk_areas = risk_areas.replace("，", ",").replace("、", ",").replace("\n", ",").split(",")
    areas = list(dict.fromkeys(" ".join(a.split()) for a in risk_areas or [] if place_key(a)))
    if flag_risk_area and not areas:
        raise DomainError(_("List the risk areas (e.g. 湖北, 武汉), or do not look for risk-area travel."), field="risk_areas")
    if not (flag_risk_area or flag_case_contact or flag_out_of_city or flag_symptoms or (criteria_notes or "").strip()):
        raise DomainError(_("Say what the round looks for."), field="flag_risk_area")
    return {"name": name[:100], "number": number, "starts_on": starts_on, "ends_on": ends_on, "risk_areas": areas,
            "lookback_days": lookback_days, "flag_risk_area": flag_risk_area, "flag_case_contact": flag_case_contact,
            "flag_out_of_city": flag_out_of_city, "flag_symptoms": flag_symptoms, "criteria_notes": (criteria_notes or "").strip()}


@transaction.atomic
def screening_round_open(*, actor, scope: OrgUnit, via: Via, **values) -> ScreeningRound:
    """Open a round over a subtree; its households become the work list at once."""
    require(actor, Capability.MANAGE_SCREENING)
    if not in_jurisdiction(actor, scope.path):
        raise PermissionDenied(_("That place is outside your jurisdiction."), field="scope")
    clean = _round_values(**values)
    district = OrgUnit.objects.get(pk=scope.ancestor_ids[0]) if scope.ancestor_ids else scope
    screening_round = ScreeningRound.objects.create(district=district, scope=scope, scope_path=scope.path, created_by=actor, **clean)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="screening_round", object_ref=screening_round.uid,
                 object_label=screening_round.name, org_path=scope.path)
    return screening_round


def _require_round_manager(actor, screening_round: ScreeningRound) -> None:
    require(actor, Capability.MANAGE_SCREENING)
    if not round_manageable(actor=actor, screening_round=screening_round):
        raise PermissionDenied(_("This round was opened above your jurisdiction; ask its owner to change it."))


@transaction.atomic
def screening_round_update(*, actor, screening_round: ScreeningRound, via: Via, **values) -> ScreeningRound:
    """Change the name, period or criteria. Candidates already flagged keep their flags."""
    _require_round_manager(actor, screening_round)
    clean = _round_values(**values)
    before = {k: getattr(screening_round, k) for k in ROUND_FIELDS}
    for key, value in clean.items():
        setattr(screening_round, key, value)
    screening_round.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="screening_round", object_ref=screening_round.uid,
                 object_label=screening_round.name, org_path=screening_round.scope_path, detail=changed_fields(before, clean))
    return screening_round


@transaction.atomic
def screening_round_transition(*, actor, screening_round: ScreeningRound, status: str, via: Via) -> ScreeningRound:
    """Close the round (no more visits) or reopen it."""
    _require_round_manager(actor, screening_round)
    if status not in ScreeningRound.TRANSITIONS.get(screening_round.status, ()):
        raise DomainError(_("The round is already %(status)s.") % {"status": screening_round.get_status_display()}, field="status")
    before = screening_round.status
    screening_round.status = status
    screening_round.save(update_fields=["status"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="screening_round", object_ref=screening_round.uid,
                 object_label=screening_round.name, org_path=screening_round.scope_path, detail={"status": [before, status]})
    return screening_round


@dataclass
class CheckIn:
    """What the visitor found about one person. `resident` is an existing resident of the
    household; `new_person` registers someone found there (name, id_number, phone...)."""

    resident: Resident | None = None
    new_person: dict | None = None
    presence: str = Presence.PRESENT
    whereabouts: str = ""
    travel: list = field(default_factory=list)
    case_contact: str = CaseContact.NONE
    temperature: object = None
    symptoms: list = field(default_factory=list)
    notes: str = ""


def _check_values(check: CheckIn, *, criteria: Criteria, visit_date: dt.date, who: str) -> dict:
    def fail(error: DomainError):
        raise DomainError(f"{who}: {error.message}", field=error.field, code=error.code)

    if check.presence not in Presence.values:
        fail(DomainError(_("Choose where the person is."), field="presence"))
    if check.case_contact not in CaseContact.values:
        fail(DomainError(_("Choose the contact with cases."), field="case_contact"))
    try:
        travel = travel_clean(check.travel, visit_date=visit_date)
        symptoms = symptoms_clean(check.symptoms)
        temperature = temperature_parse(check.temperature)
    except DomainError as e:
        fail(e)
    reasons, category = candidate_reasons(criteria=criteria, visit_date=visit_date, travel=travel,
                                          case_contact=check.case_contact, temperature=temperature, symptoms=symptoms)
    return {
        "presence": check.presence, "whereabouts": " ".join((check.whereabouts or "").split())[:100], "travel": travel,
        "case_contact": check.case_contact, "temperature": temperature, "symptoms": symptoms,
        "notes": (check.notes or "").strip()[:200], "is_candidate": bool(reasons), "candidate_reasons": reasons,
        "candidate_status": CandidateStatus.PENDING if reasons else "", "suggested_category": category,
    }


def _visit_household(actor, screening_round: ScreeningRound, household: Household) -> None:
    if not screening_round.is_open:
        raise DomainError(_("This round is closed; ask its owner to reopen it."), code="round_closed")
    if not household.org_path.startswith(screening_round.scope_path):
        raise DomainError(_("This household is not in the round's scope."), field="household", code="out_of_scope")
    if not in_jurisdiction(actor, household.org_path):
        raise PermissionDenied(_("That household is outside your jurisdiction."), field="household")


@transaction.atomic
def screening_visit_record(
    *, actor, screening_round: ScreeningRound, household: Household, uid: uuid.UUID | None, method: str, result: str,
    visited_at: dt.datetime | None = None, revisit_due: dt.date | None = None, notes: str = "",
    checks: list[CheckIn] = (), via: Via,
) -> tuple[ScreeningVisit, bool]:
    """Record a visit. `uid` comes from the client: the same uid again returns the visit
    already recorded (created=False) and writes nothing, so a retry after a lost answer is safe.

    For "all present"/"some away", residents without a check are recorded present with
    nothing found (one tap for an ordinary household). A new visit of a household becomes its
    result for the round; the earlier ones stay as history."""
    require(actor, Capability.RECORD_SCREENING)
    uid = uid or uuid.uuid4()
    # One writer per household at a time (PostgreSQL; SQLite's IMMEDIATE transactions already
    # serialise writes), so a retry racing its original sees it here.
    Household.objects.select_for_update().filter(pk=household.pk).first()
    existing = ScreeningVisit.objects.filter(uid=uid).first()
    if existing is not None:
        if existing.household_id != household.pk or existing.round_id != screening_round.pk:
            raise DomainError(_("This visit id was already used for another household."), field="uid", code="uid_conflict")
        return existing, False
    _visit_household(actor, screening_round, household)
    if method not in Method.values:
        raise DomainError(_("Choose how the household was reached."), field="method")
    if result not in Result.values:
        raise DomainError(_("Choose the result of the visit."), field="result")
    now = timezone.now()
    visited_at = visited_at or now
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    visit_date = timezone.localdate(visited_at)
    if visited_at > now + CLOCK_SKEW:
        raise DomainError(_("The visit time is in the future."), field="visited_at")
    if visit_date < screening_round.starts_on:
        raise DomainError(_("The visit is dated before the round started (%(date)s).") % {"date": screening_round.starts_on},
                          field="visited_at")
    if result == Result.NOBODY_HOME:
        revisit_due = revisit_due or visit_date + dt.timedelta(days=1)
        if revisit_due < visit_date:
            raise DomainError(_("The revisit cannot be due before the visit."), field="revisit_due")
    else:
        revisit_due = None
    checks = list(checks)
    if result in NOBODY_RESULTS and checks:
        raise DomainError(_("Nobody was spoken to: record no people for this result."), field="result")

    criteria = Criteria.of(screening_round)
    members = {r.pk: r for r in household.residents.all()}
    rows: list[tuple[Resident, dict]] = []
    seen: set[int] = set()
    for check in checks:
        resident = check.resident
        if check.new_person is not None:
            person = check.new_person
            if not person.get("id_number") and any(m.name == " ".join(str(person.get("name", "")).split()) for m in members.values()):
                raise DomainError(_("%(name)s is already registered in this household.") % {"name": person.get("name")},
                                  field="checks", code="duplicate")
            resident, _created = resident_register(actor=actor, household=household, via=via, **check.new_person)
        elif resident is None or resident.pk not in members:
            raise DomainError(_("That person is not registered in this household; add them as a new person."), field="checks")
        if resident.pk in seen:
            raise DomainError(_("%(name)s is recorded twice in this visit.") % {"name": resident.name}, field="checks")
        seen.add(resident.pk)
        rows.append((resident, _check_values(check, criteria=criteria, visit_date=visit_date, who=resident.name)))
    if result in (Result.ALL_PRESENT, Result.SOME_AWAY):
        for resident in members.values():
            if resident.pk not in seen:
                rows.append((resident, _check_values(CheckIn(), criteria=criteria, visit_date=visit_date, who=resident.name)))
        away = [r.name for r, v in rows if v["presence"] != Presence.PRESENT]
        if result == Result.ALL_PRESENT and away:
            raise DomainError(_("The result is “all present” but %(names)s is away: choose “some away”.") % {"names": "、".join(away)},
                              field="result")
        if result == Result.SOME_AWAY and not away:
            raise DomainError(_("The result is “some away”: mark who is away."), field="result")

    previous = ScreeningVisit.objects.select_for_update().filter(round=screening_round, household=household, is_latest=True).first()
    decided = {}
    if previous is not None:
        # Decisions already taken on a candidate carry over to the new check of that person.
        decided = {c.resident_id: c for c in previous.person_checks.exclude(candidate_status__in=["", CandidateStatus.PENDING])}
        ScreeningVisit.objects.filter(pk=previous.pk).update(is_latest=False)
        PersonCheck.objects.filter(visit=previous).update(current=False)
    try:
        with transaction.atomic():
            visit = ScreeningVisit.objects.create(
                uid=uid, round=screening_round, district_id=household.district_id, household=household, grid_id=household.grid_id,
                org_path=household.org_path, method=method, result=result, visited_at=visited_at, revisit_due=revisit_due,
                visitor=actor, visitor_name=str(actor), notes=(notes or "").strip(),
            )
    except IntegrityError:  # the uid was used a moment ago in another district's round
        raise DomainError(_("This visit id was already used for another household."), field="uid", code="uid_conflict")
    checks_out = []
    for resident, values in rows:
        earlier = decided.get(resident.pk)
        if earlier is not None and values["is_candidate"]:
            values.update(candidate_status=earlier.candidate_status, decided_by_id=earlier.decided_by_id, decided_at=earlier.decided_at,
                          dismiss_reason=earlier.dismiss_reason, key_person_uid=earlier.key_person_uid)
        checks_out.append(PersonCheck(visit=visit, round=screening_round, resident=resident, org_path=household.org_path, **values))
    PersonCheck.objects.bulk_create(checks_out)
    audit_record(actor=actor, action=AuditAction.CREATE, via=via, object_type="screening_visit", object_ref=visit.uid,
                 object_label=household.address, org_path=household.org_path,
                 detail={"round": str(screening_round.uid), "result": result, "people": len(checks_out),
                         "candidates": sum(c.is_candidate for c in checks_out)})
    return visit, True


def _decidable(actor, check: PersonCheck) -> None:
    require(actor, Capability.DECIDE_CANDIDATES)
    if not check.is_candidate or not check.current:
        raise DomainError(_("This person is not a candidate of the round's latest visit."), code="not_candidate")
    if check.candidate_status != CandidateStatus.PENDING:
        raise DomainError(_("This candidate was already decided: %(decision)s.") % {"decision": check.get_candidate_status_display()},
                          code="decided")


@transaction.atomic
def candidate_confirm(*, actor, check: PersonCheck, category: str = "", via: Via) -> PersonCheck:
    """Hand the person to the key-person register (quarantine app) with the round as source."""
    _decidable(actor, check)
    category = category or check.suggested_category or Category.OTHER
    if category not in Category.values:
        raise DomainError(_("Choose a key-person category."), field="category")
    key_person, _created = key_person_register(
        actor=actor, resident=check.resident, category=category, source="screening",
        source_ref=f"{check.round.name} · {check.visit.uid}", reason="；".join(describe_reason(r) for r in check.candidate_reasons),
        via=via,
    )
    check.candidate_status = CandidateStatus.CONFIRMED
    check.decided_by, check.decided_at, check.key_person_uid = actor, timezone.now(), key_person.uid
    check.save(update_fields=["candidate_status", "decided_by", "decided_at", "key_person_uid"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="key_person_candidate", object_ref=check.uid,
                 object_label=check.resident.name, org_path=check.org_path,
                 detail={"decision": "confirmed", "category": category, "key_person": str(key_person.uid)})
    return check


@transaction.atomic
def candidate_dismiss(*, actor, check: PersonCheck, reason: str, via: Via) -> PersonCheck:
    _decidable(actor, check)
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Say why the person is not a key person (e.g. trip was before the period, test negative)."), field="reason")
    check.candidate_status = CandidateStatus.DISMISSED
    check.decided_by, check.decided_at, check.dismiss_reason = actor, timezone.now(), reason[:200]
    check.save(update_fields=["candidate_status", "decided_by", "decided_at", "dismiss_reason"])
    audit_record(actor=actor, action=AuditAction.UPDATE, via=via, object_type="key_person_candidate", object_ref=check.uid,
                 object_label=check.resident.name, org_path=check.org_path, detail={"decision": "dismissed", "reason": reason})
    return check
