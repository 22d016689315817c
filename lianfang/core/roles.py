"""Roles (DOMAIN.md "Who uses it") and what each may do. The one place capabilities live."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_OFFICE = "district_office", _("District command office")
    STREET_OFFICER = "street_officer", _("Street/town officer")
    GRID_WORKER = "grid_worker", _("Community/grid worker")
    CHECKPOINT_STAFF = "checkpoint_staff", _("Checkpoint staff")
    DOCTOR = "doctor", _("Township doctor")
    POLICE = "police", _("Police officer")
    INSPECTOR = "inspector", _("Department inspector")
    SUPERVISION = "supervision", _("Supervision group")


class Capability(models.TextChoices):
    REVEAL_PII = "reveal_pii", _("Reveal full ID numbers and phones")
    EDIT_REGISTRY = "edit_registry", _("Register and edit households and residents")
    IMPORT_REGISTRY = "import_registry", _("Import the population base from Excel")
    EXPORT_PERSONAL = "export_personal", _("Export lists of people")
    EDIT_ORG = "edit_org", _("Edit the jurisdiction tree and responsible people")
    VIEW_AUDIT = "view_audit", _("Browse the audit log")
    MANAGE_SCREENING = "manage_screening", _("Open and close screening rounds")
    RECORD_SCREENING = "record_screening", _("Record screening visits and import their results")
    DECIDE_CANDIDATES = "decide_candidates", _("Confirm or dismiss key-person candidates")
    MANAGE_QUARANTINE = "manage_quarantine", _("Start, extend and release quarantine orders; manage sites")
    RECORD_CHECKS = "record_checks", _("Record health checks of people in quarantine")
    HANDLE_ALERTS = "handle_alerts", _("Acknowledge and close alerts")
    SPOT_CHECK = "spot_check", _("Record police spot checks")
    LIVING_SUPPORT = "living_support", _("Record and fulfil living-support requests")
    TRACE_CASES = "trace_cases", _("Record cases, trajectories and contacts")
    MANAGE_CHECKPOINTS = "manage_checkpoints", _("Set up checkpoints, duty rosters and pass cards")
    RECORD_PASSAGES = "record_passages", _("Record passages at checkpoints")
    SUBMIT_REPORTS = "submit_reports", _("Submit and correct the daily reports of the units one reports for")
    MANAGE_REPORTING = "manage_reporting", _("Set up reporting units, duty rosters, report templates and the daily brief")
    CONFIGURE = "configure", _("Configure the system (admin)")


R, C = Role, Capability
CAPABILITIES: dict[str, frozenset[str]] = {
    R.DISTRICT_OFFICE: frozenset(C.values),
    R.STREET_OFFICER: frozenset({C.REVEAL_PII, C.EDIT_REGISTRY, C.IMPORT_REGISTRY, C.EXPORT_PERSONAL, C.EDIT_ORG,
                                 C.MANAGE_SCREENING, C.RECORD_SCREENING, C.DECIDE_CANDIDATES, C.MANAGE_QUARANTINE,
                                 C.RECORD_CHECKS, C.HANDLE_ALERTS, C.SPOT_CHECK, C.LIVING_SUPPORT, C.TRACE_CASES,
                                 C.MANAGE_CHECKPOINTS, C.RECORD_PASSAGES, C.SUBMIT_REPORTS, C.MANAGE_REPORTING}),
    # The community issues its households' pass cards and runs its gates' rosters.
    R.GRID_WORKER: frozenset({C.EDIT_REGISTRY, C.IMPORT_REGISTRY, C.EXPORT_PERSONAL, C.RECORD_SCREENING, C.RECORD_CHECKS,
                              C.HANDLE_ALERTS, C.LIVING_SUPPORT, C.MANAGE_CHECKPOINTS, C.RECORD_PASSAGES, C.SUBMIT_REPORTS}),
    # Doctors and police must reach the person (phone, identity) for checks and spot checks.
    R.DOCTOR: frozenset({C.REVEAL_PII, C.RECORD_CHECKS, C.HANDLE_ALERTS, C.TRACE_CASES}),
    R.POLICE: frozenset({C.REVEAL_PII, C.SPOT_CHECK, C.HANDLE_ALERTS}),
    # At the gate: record passages. The community and doctors close the referrals they raise.
    R.CHECKPOINT_STAFF: frozenset({C.RECORD_PASSAGES}),
    # Department staff report their bureau's daily figures (seed 000: finance; 003: commerce, education).
    R.INSPECTOR: frozenset({C.SUBMIT_REPORTS}),
    R.SUPERVISION: frozenset({C.VIEW_AUDIT}),
}


def has_capability(user, capability: str) -> bool:
    return bool(user and user.is_authenticated and capability in CAPABILITIES.get(user.role, ()))
