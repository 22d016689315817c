"""The reporters' pages and the pages of whoever follows their reports: today's forms (with the
figures pre-filled from the records and a one-tap zero report), a submission with its
corrections and the head's sign-off, the roll-up, completeness, who is still missing, the
submissions. (The duty rosters and the reminders sent are office_views'.)"""

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core import clock
from lianfang.core.audit import Via
from lianfang.core.errors import DomainError
from lianfang.core.roles import Capability, has_capability
from lianfang.core.selectors import org_unit_breadcrumbs
from lianfang.core.views import date_param, form_error, org_param, paginate

from . import exports, selectors, services
from .services import NUMBER_KINDS
from .reporter_forms import ReportValuesForm, SubmitMetaForm
from .selectors import Cell

# The longest period a matrix shows (a quarter): a page, not a data dump; the export says the same.
MATRIX_DAYS = 92


def _day(raw: str | None, default: dt.date | None = None) -> dt.date:
    return date_param(raw) or default or clock.today()


def _template_param(request):
    """`?template=UID` of the district's templates, else the first one in use (None: there is none)."""
    if request.GET.get("template"):
        try:
            return selectors.access_template(actor=request.user, uid=request.GET["template"])
        except ValidationError:    # a malformed uid is a template that is not there
            raise Http404
    return selectors.template_list(actor=request.user, active_only=True).first()


def _filters(request, template, **extra) -> dict:
    """The toolbar's choices: the district's templates, and the nodes of the tree that report."""
    nodes = selectors.reporting_unit_list(actor=request.user).filter(org__isnull=False).select_related("org")
    return {"templates": list(selectors.template_list(actor=request.user, active_only=True)), "template": template,
            "org": org_param(request), "nodes": [(u.org.code, u.org.depth, u.name) for u in nodes], **extra}


def _day_query(template, org, day: dt.date) -> str:
    """The page's own choices, for its export link."""
    return urlencode({k: v for k, v in {"template": template.uid if template else "", "org": org.code if org else "",
                                         "day": day.isoformat()}.items() if v})


def _may_report(actor, unit) -> bool:
    return has_capability(actor, Capability.SUBMIT_REPORTS) and selectors.my_units(actor=actor).filter(pk=unit.pk).exists()


# --- today's forms --------------------------------------------------------------------------

def home(request):
    """What the actor has to report (today's forms, and yesterday's still open or missed), and
    for those who follow others, how today's reports are coming in."""
    actor = request.user
    dues = selectors.reports_due(actor=actor)
    for due in dues:
        due.mint = uuid.uuid4()    # the zero report's id: a tap sent twice is stored once
    today = clock.today()
    following = []
    for template in selectors.template_list(actor=actor, active_only=True):
        matrix = selectors.completeness_matrix(actor=actor, template=template, since=today, until=today)
        if matrix.rows:
            cells = [r.cells[0] for r in matrix.rows]
            following.append({"template": template, "units": len(cells), "in": matrix.submitted,
                              "late": cells.count(Cell.LATE), "missing": cells.count(Cell.MISSING),
                              "pending": cells.count(Cell.PENDING), "zero": matrix.zero})
    return render(request, "reporting/home.html", {
        "dues": dues, "following": following, "today": today, "tab": "home",
    })


def _form_url(template, unit, day: dt.date) -> str:
    return reverse("reporting:form", args=[template.uid, unit.uid, day.isoformat()])


def report_form(request, template, unit, day):
    """GET: the unit's form of `day`, pre-filled. POST: submit it (or a zero report, `zero`), or
    correct what was submitted (with a reason)."""
    actor = request.user
    template = selectors.access_template(actor=actor, uid=template)
    unit = selectors.access_unit(actor=actor, uid=unit)
    try:
        day = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404
    if unit.kind not in template.unit_kinds or day > clock.today():
        raise Http404
    form = selectors.report_form(actor=actor, template=template, unit=unit, day=day)
    may_report = _may_report(actor, unit)
    values = ReportValuesForm(request.POST if request.method == "POST" else None, report_form=form, disabled=not may_report)
    meta = SubmitMetaForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        zero = "zero" in request.POST
        if meta.is_valid() and form.report is not None and meta.cleaned_data["uid"] == form.report.uid:
            # The same page sent twice (a lost answer, a double tap): it is in already.
            messages.info(request, _("This report was received already."))
            return redirect("reporting:report", uid=form.report.uid)
        if meta.is_valid() and (zero or values.is_valid()):
            via = Via.from_request(request)
            try:
                if form.report is None:
                    report = services.daily_report_submit(actor=actor, template=template, unit=unit, day=day, zero=zero,
                                                          values=None if zero else values.values(), uid=meta.cleaned_data["uid"],
                                                          via=via)
                else:
                    report = services.daily_report_correct(actor=actor, report=form.report, zero=zero,
                                                           values=None if zero else values.values(),
                                                           reason=meta.cleaned_data["reason"], via=via)
            except DomainError as e:
                form_error(meta if e.field in meta.fields else values, e)
            else:
                messages.success(request, _submitted_message(report, corrected=form.report is not None))
                if request.POST.get("back") == "home":
                    return redirect("reporting:home")
                return redirect("reporting:report", uid=report.uid)
    return render(request, "reporting/report_form.html", {
        "form": form, "values": values, "meta": meta, "may_report": may_report, "tab": "home",
        "overdue": form.report is None and clock.now() > form.deadline,
    }, status=400 if request.method == "POST" else 200)


def _submitted_message(report, *, corrected: bool) -> str:
    if corrected:
        return _("Correction saved; the earlier values are kept as revision %(n)d.") % {"n": report.revision - 1}
    if not getattr(report, "created", True):
        return _("This report was received already.")
    what = _("Zero report") if report.is_zero else _("Report")
    if report.is_late:
        return _("%(what)s of %(unit)s received, after the deadline (late).") % {"what": what, "unit": report.unit.name}
    return _("%(what)s of %(unit)s received on time.") % {"what": what, "unit": report.unit.name}


def report_detail(request, uid):
    actor = request.user
    report = selectors.access_report(actor=actor, uid=uid)
    form = selectors.report_form(actor=actor, template=report.template, unit=report.unit, day=report.day)
    labels = {f.field.key: f.field.label for f in form.fields}
    revisions = list(report.revisions.select_related("submitted_by", "replaced_by"))
    for revision in revisions:
        revision.said = [(labels.get(key, key), value) for key, value in revision.values.items()]
    return render(request, "reporting/report_detail.html", {
        "report": report, "form": form, "revisions": revisions,
        "may_report": _may_report(actor, report.unit), "may_sign": report.unit.head_id == actor.pk and report.signed_off_at is None,
        "form_url": _form_url(report.template, report.unit, report.day), "tab": "reports",
    })


@require_POST
def report_sign_off(request, uid):
    report = selectors.access_report(actor=request.user, uid=uid)
    try:
        services.daily_report_sign_off(actor=request.user, report=report, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Signed off."))
    return redirect("reporting:report", uid=report.uid)


# --- following the reports ------------------------------------------------------------------

def rollup(request):
    """The day's figures summed up the tree; a row is a child node (drill into it) or a unit
    reporting at the node (its submission)."""
    actor = request.user
    template = _template_param(request)
    day = _day(request.GET.get("day"))
    org = org_param(request)
    roll = selectors.rollup(actor=actor, template=template, day=day, org=org) if template and actor.jurisdiction else None
    numbers = [f for f in roll.fields if f.kind in NUMBER_KINDS] if roll else []
    if roll is not None and request.GET.get("export") == "xlsx":
        return exports.rollup_export(actor=actor, roll=roll, numbers=numbers, via=Via.from_request(request),
                                     filters={"template": template.name, "org": org.code if org else "", "day": day})
    crumbs = org_unit_breadcrumbs(actor=actor, org_unit=org) if roll and org is not None else []
    return render(request, "reporting/rollup.html", {
        **_filters(request, template), "day": day, "roll": roll, "numbers": numbers, "crumbs": crumbs,
        "export_query": _day_query(template, org, day) if roll else None,
        "rows": [(r, [(r.sums.get(f.key), f) for f in numbers]) for r in roll.rows] if roll else [],
        "total": [(roll.total.sums.get(f.key), f) for f in numbers] if roll else [], "tab": "rollup",
    })


def _period(request) -> tuple[dt.date, dt.date]:
    until = _day(request.GET.get("until"))
    since = _day(request.GET.get("since"), until - dt.timedelta(days=6))
    if since > until:
        since, until = until, since
    return max(since, until - dt.timedelta(days=MATRIX_DAYS - 1)), until


def matrix(request):
    """Units × days: on time, late, missing, pending, not due; zero reports; the rates."""
    actor = request.user
    template = _template_param(request)
    since, until = _period(request)
    org = org_param(request)
    m = selectors.completeness_matrix(actor=actor, template=template, since=since, until=until, org=org) if template else None
    query = urlencode({k: v for k, v in {"template": template.uid if template else "", "org": org.code if org else "",
                                         "since": since.isoformat(), "until": until.isoformat()}.items() if v})
    if m is not None and request.GET.get("export") == "xlsx":
        return exports.matrix_export(actor=actor, matrix=m, via=Via.from_request(request),
                                     filters={"template": template.name, "org": org.code if org else "", "since": since, "until": until})
    for row in m.rows if m else []:
        row.cells_zero = [(cell, zero, exports.CELL_LABELS[cell], uid) for cell, zero, uid in zip(row.cells, row.zero, row.reports)]
    context = {**_filters(request, template), "matrix": m, "since": since, "until": until, "query": query, "today": clock.today(),
               "tab": "matrix"}
    if request.htmx:
        return render(request, "reporting/matrix.html#grid", context)
    return render(request, "reporting/matrix.html", context)


def missing(request):
    """The units that have not reported the day yet, and whom to call: the head, the 24-hour
    duty phone, and who is on duty that day."""
    actor = request.user
    template = _template_param(request)
    day = _day(request.GET.get("day"))
    org = org_param(request)
    units = list(selectors.units_missing(actor=actor, template=template, day=day, org=org)) if template else []
    duty: dict = {}
    for entry in selectors.duty_roster(actor=actor, day=day, org=org).filter(unit__in=units):
        duty.setdefault(entry.unit_id, []).append(entry)
    for unit in units:
        unit.on_duty = duty.get(unit.pk, [])
    if template is not None and request.GET.get("export") == "xlsx":
        return exports.missing_export(actor=actor, units=units, template=template, day=day, via=Via.from_request(request),
                                      filters={"template": template.name, "org": org.code if org else "", "day": day})
    return render(request, "reporting/missing.html", {
        **_filters(request, template), "day": day, "units": units, "export_query": _day_query(template, org, day) if template else None,
        "deadline": template.deadline_for(day) if template else None, "past_deadline": bool(template and clock.now() > template.deadline_for(day)),
        "can_reveal": has_capability(actor, Capability.REVEAL_PII), "tab": "missing",
    })


def report_list(request):
    actor = request.user
    template = _template_param(request) if request.GET.get("template") else None
    org = org_param(request)
    since = _day(request.GET.get("since"), None) if request.GET.get("since") else None
    until = _day(request.GET.get("until"), None) if request.GET.get("until") else None
    reports = selectors.report_list(actor=actor, template=template, org=org, since=since, until=until)
    if request.GET.get("export") == "xlsx":
        return exports.report_list_export(actor=actor, reports=reports, template=template, via=Via.from_request(request),
                                          filters={"template": template.name if template else "", "org": org.code if org else "",
                                                   "since": since or "", "until": until or ""})
    page, query = paginate(request, reports)
    return render(request, "reporting/report_list.html", {
        **_filters(request, template), "page_obj": page, "query": query, "since": since, "until": until, "tab": "reports",
    })
