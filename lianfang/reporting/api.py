"""The JSON API of daily reporting: templates, units, today's pre-filled form, submitting (also a
zero report; idempotent by the client's uid), corrections and sign-off, completeness, roll-up,
duty rosters, reminders and the numbered daily brief."""

import datetime as dt
from uuid import UUID

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from lianfang.core import clock
from lianfang.core.audit import Via, audit_list_view
from lianfang.core.errors import DomainError
from lianfang.core.models import User
from lianfang.core.scoping import within
from lianfang.core.selectors import district_of, org_filter

from . import brief_docs, selectors, services
from .schemas import (
    AddedOut, BriefDetailOut, BriefIn, BriefOut, CorrectIn, DepartmentIn, DueOut, DutyIn, DutyOut, FormOut, MatrixOut, MissingOut, ReminderOut, ReportDetailOut,
    ReportOut, RollupOut, SubmitIn, TemplateDetailOut, TemplateIn, TemplateOut, UnitIn, UnitOut, ZeroIn,
)

router = Router(tags=["reporting"])

# A matrix is read on one screen; longer periods are for the .xlsx export.
MAX_MATRIX_DAYS = 92


class Conflict(DomainError):
    status = 409


class Unprocessable(DomainError):
    status = 422


def _conflict(e: DomainError) -> DomainError:
    """A second submission of the unit's day, or a client uid reused for another report: 409."""
    return Conflict(e.message, field=e.field, code=e.code) if e.code in ("already_reported", "conflict") else e


# --- templates ------------------------------------------------------------------------------

@router.get("/reporting/templates", response=list[TemplateOut])
def template_list(request, active_only: bool = False):
    """The templates of the caller's district."""
    return list(selectors.template_list(actor=request.user, active_only=active_only))


@router.get("/reporting/templates/{uuid:uid}", response=TemplateDetailOut)
def template_detail(request, uid: UUID):
    return selectors.access_template(actor=request.user, uid=uid)


@router.post("/reporting/templates", response={201: TemplateDetailOut})
def template_create(request, payload: TemplateIn):
    """The district office defines a template: fields in sections, checks between fields, a deadline."""
    template = services.report_template_save(actor=request.user, district=district_of(actor=request.user),
                                             via=Via.from_request(request), **payload.dict())
    return Status(201, template)


@router.put("/reporting/templates/{uuid:uid}", response=TemplateDetailOut)
def template_update(request, uid: UUID, payload: TemplateIn):
    """Replace the template's settings, fields and checks; reports already in keep their values."""
    template = selectors.access_template(actor=request.user, uid=uid)
    return services.report_template_save(actor=request.user, district=template.district, template=template,
                                         via=Via.from_request(request), **payload.dict())


# --- units ----------------------------------------------------------------------------------

class UnitFilters(Schema):
    kind: str = ""
    org: str = ""


@router.get("/reporting/units", response=list[UnitOut])
@paginate(PageNumberPagination)
def unit_list(request, filters: Query[UnitFilters]):
    """The reporting units in the caller's jurisdiction, and those they report for."""
    audit_list_view(actor=request.user, object_type="reporting_units", via=Via.from_request(request), filters=filters.dict(),
                    page=int(request.GET.get("page", 1) or 1))
    qs = within(selectors.unit_list(actor=request.user), org_filter(actor=request.user, code=filters.org))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs.select_related("org", "head").prefetch_related("reporters")


def _users(usernames: list[str], field: str) -> list[User]:
    users = list(User.objects.filter(username__in=usernames).select_related("jurisdiction"))
    missing = set(usernames) - {u.username for u in users}
    if missing:
        raise DomainError(_("Unknown user: %(names)s.") % {"names": ", ".join(sorted(missing))}, field=field)
    return users


@router.post("/reporting/units", response={201: UnitOut})
def unit_create(request, payload: DepartmentIn):
    """A department of the district that reports (district office)."""
    unit = services.reporting_unit_create(actor=request.user, district=district_of(actor=request.user), kind=payload.kind,
                                          name=payload.name, via=Via.from_request(request))
    return Status(201, unit)


@router.post("/reporting/units/sync", response=AddedOut)
def units_add_new(request):
    """The streets and communities new to the tree report from now on (district office)."""
    return {"added": services.reporting_units_add_new(actor=request.user, district=district_of(actor=request.user),
                                                      via=Via.from_request(request))}


@router.put("/reporting/units/{uuid:uid}", response=UnitOut)
def unit_update(request, uid: UUID, payload: UnitIn):
    """Who answers for the unit, who reports for it, and its reminder robot."""
    unit = selectors.access_unit(actor=request.user, uid=uid)
    head = _users([payload.head], "head")[0] if payload.head else None
    reporters = _users(payload.reporters, "reporters") if payload.reporters is not None else None
    return services.reporting_unit_update(
        actor=request.user, unit=unit, head_name=payload.head_name, head_phone=payload.head_phone, duty_phone=payload.duty_phone,
        head=head, reporters=reporters, webhook_kind=payload.webhook_kind, webhook_url=payload.webhook_url,
        is_active=payload.is_active, via=Via.from_request(request))


@router.put("/reporting/units/{uuid:uid}/duty", response=list[DutyOut])
def duty_roster_set(request, uid: UUID, payload: DutyIn):
    """Replace who is on 24-hour duty for the unit on the day."""
    unit = selectors.access_unit(actor=request.user, uid=uid)
    return services.duty_roster_set(actor=request.user, unit=unit, day=payload.day, entries=[e.dict() for e in payload.entries],
                                    via=Via.from_request(request))


@router.get("/reporting/duty", response=list[DutyOut])
def duty_roster(request, day: dt.date | None = None, org: str = ""):
    """Who is on duty on the day (today by default) in every unit of the caller's jurisdiction."""
    audit_list_view(actor=request.user, object_type="duty_roster", via=Via.from_request(request), filters={"day": day, "org": org},
                    page=1)
    return list(selectors.duty_roster(actor=request.user, day=day or clock.today(), org=org_filter(actor=request.user, code=org))
                .select_related("unit__org"))


# --- the reporter's forms -------------------------------------------------------------------

@router.get("/reporting/due", response=list[DueOut])
def reports_due(request):
    """The caller's forms of today, and yesterday's still open or missed."""
    due = selectors.reports_due(actor=request.user)
    prefetch_related_objects([d.unit for d in due], "org")
    return due


def _form_target(request, template_uid: UUID, unit_uid: UUID):
    template = selectors.access_template(actor=request.user, uid=template_uid)
    unit = selectors.access_unit(actor=request.user, uid=unit_uid)
    if unit.kind not in template.unit_kinds:
        raise Http404    # no such form
    return template, unit


@router.get("/reporting/forms/{uuid:template_uid}/{uuid:unit_uid}", response=FormOut)
def report_form(request, template_uid: UUID, unit_uid: UUID, day: dt.date | None = None):
    """The unit's form of the day (today by default): sourced figures pre-filled from the records,
    the values already submitted if any."""
    template, unit = _form_target(request, template_uid, unit_uid)
    return selectors.report_form(actor=request.user, template=template, unit=unit, day=day or clock.today())


def _submit(request, template_uid: UUID, unit_uid: UUID, *, uid: UUID, day: dt.date | None, values: dict | None, zero: bool):
    template, unit = _form_target(request, template_uid, unit_uid)
    try:
        report = services.daily_report_submit(actor=request.user, template=template, unit=unit, day=day or clock.today(),
                                              values=values, zero=zero, uid=uid, via=Via.from_request(request))
    except DomainError as e:
        raise _conflict(e) from e
    return Status(201 if report.created else 200, report)


@router.post("/reporting/forms/{uuid:template_uid}/{uuid:unit_uid}/submit", response={201: ReportOut, 200: ReportOut})
def daily_report_submit(request, template_uid: UUID, unit_uid: UUID, payload: SubmitIn):
    """Submit the day's report. 201 when stored; 200 with the stored report when the same `uid`
    comes again (a phone retrying); 409 when the unit has already reported the day."""
    return _submit(request, template_uid, unit_uid, uid=payload.uid, day=payload.day, values=payload.values, zero=False)


@router.post("/reporting/forms/{uuid:template_uid}/{uuid:unit_uid}/zero", response={201: ReportOut, 200: ReportOut})
def daily_report_submit_zero(request, template_uid: UUID, unit_uid: UUID, payload: ZeroIn):
    """A zero report: nothing new today. Idempotent by `uid` like a submission."""
    return _submit(request, template_uid, unit_uid, uid=payload.uid, day=payload.day, values=None, zero=True)


# --- reports --------------------------------------------------------------------------------

class ReportFilters(Schema):
    template: UUID | None = None
    org: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


@router.get("/reporting/reports", response=list[ReportOut])
@paginate(PageNumberPagination)
def report_list(request, filters: Query[ReportFilters]):
    template = selectors.access_template(actor=request.user, uid=filters.template) if filters.template else None
    return selectors.report_list(actor=request.user, template=template, org=org_filter(actor=request.user, code=filters.org),
                                 since=filters.since, until=filters.until).select_related("unit__org")


@router.get("/reporting/reports/{uuid:uid}", response=ReportDetailOut)
def report_detail(request, uid: UUID):
    """A report with every earlier version (who changed it, when and why)."""
    return selectors.access_report(actor=request.user, uid=uid)


@router.post("/reporting/reports/{uuid:uid}/correct", response=ReportDetailOut)
def daily_report_correct(request, uid: UUID, payload: CorrectIn):
    """Correct a report; what it said before is kept as a revision and the sign-off is cleared."""
    report = selectors.access_report(actor=request.user, uid=uid)
    services.daily_report_correct(actor=request.user, report=report, values=payload.values, zero=payload.zero,
                                  reason=payload.reason, via=Via.from_request(request))
    return selectors.access_report(actor=request.user, uid=uid)


@router.post("/reporting/reports/{uuid:uid}/sign-off", response=ReportDetailOut)
def daily_report_sign_off(request, uid: UUID):
    """The unit's head confirms the report."""
    report = selectors.access_report(actor=request.user, uid=uid)
    services.daily_report_sign_off(actor=request.user, report=report, via=Via.from_request(request))
    return selectors.access_report(actor=request.user, uid=uid)


# --- completeness, missing, roll-up ---------------------------------------------------------

class MatrixFilters(Schema):
    template: UUID
    org: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def _period(since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    """The last 7 days by default; at most MAX_MATRIX_DAYS."""
    until = until or clock.today()
    since = since or until - dt.timedelta(days=6)
    if since > until:
        raise Unprocessable(_("The period ends before it starts."), field="until", code="bad_period")
    if (until - since).days + 1 > MAX_MATRIX_DAYS:
        raise Unprocessable(_("Choose a period of at most %(days)s days.") % {"days": MAX_MATRIX_DAYS}, field="since",
                            code="period_too_long")
    return since, until


@router.get("/reporting/matrix", response=MatrixOut)
def completeness_matrix(request, filters: Query[MatrixFilters]):
    """Units × days of one template: on time, late, missing, pending, not due; zero reports;
    the reporting rate and the rate on time."""
    since, until = _period(filters.since, filters.until)
    template = selectors.access_template(actor=request.user, uid=filters.template)
    matrix = selectors.completeness_matrix(actor=request.user, template=template, since=since, until=until,
                                           org=org_filter(actor=request.user, code=filters.org))
    prefetch_related_objects([r.unit for r in matrix.rows], "org")
    return matrix


class DayFilters(Schema):
    template: UUID
    day: dt.date | None = None
    org: str = ""


@router.get("/reporting/missing", response=list[MissingOut])
def units_missing(request, filters: Query[DayFilters]):
    """The units that have not reported the day (today by default), with whom to call."""
    template = selectors.access_template(actor=request.user, uid=filters.template)
    audit_list_view(actor=request.user, object_type="reporting_missing", via=Via.from_request(request), filters=filters.dict(), page=1)
    return list(selectors.units_missing(actor=request.user, template=template, day=filters.day or clock.today(),
                                        org=org_filter(actor=request.user, code=filters.org)).select_related("org"))


@router.get("/reporting/rollup", response=RollupOut)
def rollup(request, filters: Query[DayFilters]):
    """The day's figures summed up the tree under the node (the caller's jurisdiction by default):
    a row per child node to drill into, a row per unit reporting at the node itself, the total."""
    template = selectors.access_template(actor=request.user, uid=filters.template)
    roll = selectors.rollup(actor=request.user, template=template, day=filters.day or clock.today(),
                            org=org_filter(actor=request.user, code=filters.org))
    prefetch_related_objects([r.unit for r in roll.rows if r.unit is not None], "org")
    return roll


# --- reminders ------------------------------------------------------------------------------

@router.get("/reporting/reminders", response=list[ReminderOut])
@paginate(PageNumberPagination)
def reminder_list(request, template: UUID | None = None, day: dt.date | None = None):
    found = selectors.access_template(actor=request.user, uid=template) if template else None
    return selectors.reminder_list(actor=request.user, template=found, day=day).select_related("unit__org")


# --- the daily brief ------------------------------------------------------------------------

@router.get("/reporting/briefs", response=list[BriefOut])
@paginate(PageNumberPagination)
def brief_list(request):
    return selectors.brief_list(actor=request.user)


@router.post("/reporting/briefs", response={201: BriefDetailOut})
def brief_issue(request, payload: BriefIn):
    """Issue the district's next numbered brief for the day, built from the day's reports."""
    templates = [selectors.access_template(actor=request.user, uid=t) for t in payload.templates] if payload.templates is not None else None
    brief = services.brief_issue(actor=request.user, district=district_of(actor=request.user), templates=templates,
                                 via=Via.from_request(request), **payload.dict(exclude={"templates"}))
    return Status(201, brief)


@router.get("/reporting/briefs/{uuid:uid}", response=BriefDetailOut)
def brief_detail(request, uid: UUID):
    return selectors.access_brief(actor=request.user, uid=uid)


@router.get("/reporting/briefs/{uuid:uid}/docx")
def brief_docx(request, uid: UUID):
    """The issue as a Word document."""
    brief = selectors.access_brief(actor=request.user, uid=uid)
    data = brief_docs.brief_docx(brief)
    brief_docs.brief_download_audit(actor=request.user, brief=brief, kind="docx", via=Via.from_request(request))
    return brief_docs.brief_file_response(brief, data, "docx")


@router.get("/reporting/briefs/{uuid:uid}/pdf")
def brief_pdf(request, uid: UUID):
    """The issue as a PDF (CJK fonts embedded)."""
    brief = selectors.access_brief(actor=request.user, uid=uid)
    data = brief_docs.brief_pdf(brief)
    brief_docs.brief_download_audit(actor=request.user, brief=brief, kind="pdf", via=Via.from_request(request))
    return brief_docs.brief_file_response(brief, data, "pdf")
