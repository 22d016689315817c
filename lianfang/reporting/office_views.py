"""The district office's reporting pages: report templates, the reporting units, the 24-hour
duty board and rosters, the reminder log, and the numbered daily brief with its documents.
Reporters' pages (today's forms, the matrix, the roll-up) are in reporter_views."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from lianfang.core import clock
from lianfang.core.audit import Via
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.models import Level, OrgUnit
from lianfang.core.pii import mask_phone
from lianfang.core.roles import Capability, has_capability
from lianfang.core.scoping import scoped, within
from lianfang.core.selectors import district_of
from lianfang.core.services import require
from lianfang.core.views import date_param, form_error, org_param, paginate

from . import brief_docs, office_exports, selectors, services
from .models import TREE_KINDS, DutyEntry, DutyRole, Reminder, ReportingUnit, UnitKind
from .office_forms import (
    BLANK_ROWS, MAX_ROWS, BriefForm, DutyFormSet, FieldFormSet, RuleFormSet, TemplateForm, UnitForm, as_typed, template_initial,
    unit_initial,
)


def _district_manager(actor) -> bool:
    """The district office sets reporting up: MANAGE_REPORTING with the whole district as
    jurisdiction (a street officer manages its own units, not the district's templates)."""
    return (has_capability(actor, Capability.MANAGE_REPORTING) and actor.jurisdiction is not None
            and actor.jurisdiction.level == Level.DISTRICT)


def _require_district_manager(actor) -> OrgUnit:
    if not _district_manager(actor):
        raise PermissionDenied(_("Only the district command office sets this up."))
    return district_of(actor=actor)


def _day(request, default: dt.date | None = None) -> dt.date | None:
    return date_param(request.POST.get("day") if request.method == "POST" else request.GET.get("day"), default)


def _units_of_tree(actor) -> list[tuple[str, str]]:
    """Streets and communities of the actor's tree, indented, for the `?org=` filters."""
    nodes = scoped(OrgUnit.objects.filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY]), actor).order_by("path")
    depth = actor.jurisdiction.depth if actor.jurisdiction else 0
    return [(n.code, f"{'　' * max(n.depth - depth, 0)}{n.name}") for n in nodes]


def _row_error(error: DomainError, prefix: str, rows: list) -> bool:
    """Put a service error naming a row (`fields.2.key`, `rules.0`) on that row's form."""
    match = re.fullmatch(rf"{prefix}\.(\d+)(?:\.(\w+))?", error.field or "")
    if not match or int(match[1]) >= len(rows):
        return False
    row = rows[int(match[1])]
    row.add_error(match[2] if match[2] in row.fields else None, error.message)
    return True


def _one_more(formset_class, bound, prefix: str, add: bool):
    """The rows as typed, unbound, with a blank one more when `add`."""
    rows = [as_typed(f) for f in bound.forms[:MAX_ROWS]]
    return formset_class(initial=rows + ([{}] if add and len(rows) < MAX_ROWS else []), prefix=prefix)


# --- templates ------------------------------------------------------------------------------

def template_list(request):
    actor = request.user
    templates = selectors.template_list(actor=actor).annotate(n_fields=Count("fields")).prefetch_related("fields", "rules") \
        .order_by("-is_active", "name")
    kinds = dict(UnitKind.choices)
    for t in templates:
        t.kind_labels = [kinds.get(k, k) for k in t.unit_kinds]
    return render(request, "reporting/template_list.html", {
        "templates": templates, "can_edit": _district_manager(actor), "tab": "templates",
    })


def template_form(request, uid=None):
    """Create (no uid) or change a template with its fields and checks, in one save."""
    actor = request.user
    district = _require_district_manager(actor)
    template = selectors.access_template(actor=actor, uid=uid) if uid else None
    problem = None
    status = 200
    if request.method == "POST":
        data = request.POST
        form, fields, rules = TemplateForm(data), FieldFormSet(data, prefix="fields"), RuleFormSet(data, prefix="rules")
        if "add_field" in data or "add_rule" in data:
            form = TemplateForm(initial=as_typed(form))
            fields = _one_more(FieldFormSet, fields, "fields", "add_field" in data)
            rules = _one_more(RuleFormSet, rules, "rules", "add_rule" in data)
        elif all([form.is_valid(), fields.is_valid(), rules.is_valid()]):
            field_rows = [f for f in fields.forms if not f.is_blank()]
            rule_rows = [r for r in rules.forms if not r.is_blank()]
            try:
                template = services.report_template_save(
                    actor=actor, district=district, template=template, fields=[f.as_service() for f in field_rows],
                    rules=[r.as_service() for r in rule_rows], via=Via.from_request(request), **form.cleaned_data)
            except DomainError as e:
                problem = e.message
                if not (_row_error(e, "fields", field_rows) or _row_error(e, "rules", rule_rows)):
                    form_error(form, e)
            else:
                messages.success(request, _("Template %(name)s saved.") % {"name": template.name})
                return redirect("reporting:templates")
            status = 400
        else:
            status = 400
    else:
        initial, field_rows, rule_rows = template_initial(template) if template else ({}, [], [])
        form = TemplateForm(initial=initial)
        fields = FieldFormSet(initial=field_rows + [{} for _i in range(BLANK_ROWS if field_rows else 3)], prefix="fields")
        rules = RuleFormSet(initial=rule_rows + [{}], prefix="rules")
    return render(request, "reporting/template_form.html", {
        "form": form, "fields": fields, "rules": rules, "template": template, "problem": problem, "tab": "templates",
        "keys": [f["key"].value() for f in fields.forms if f["key"].value()],
    }, status=status)


# --- units ----------------------------------------------------------------------------------

def unit_list(request):
    actor = request.user
    require(actor, Capability.MANAGE_REPORTING)
    if request.method == "POST":
        return _unit_add(request)
    org, kind = org_param(request), request.GET.get("kind", "")
    kind = kind if kind in UnitKind.values else ""
    units = within(selectors.unit_list(actor=actor), org).select_related("head").annotate(n_reporters=Count("reporters")) \
        .order_by("org_path", "kind", "name")
    if kind:
        units = units.filter(kind=kind)
    if request.GET.get("export") == "xlsx":
        return office_exports.unit_list_export(actor=actor, units=units, via=Via.from_request(request),
                                               filters={"org": org.code if org else "", "kind": kind})
    page, query = paginate(request, units, per_page=100)
    return render(request, "reporting/unit_list.html", {
        "page_obj": page, "query": query, "org": org, "kind": kind, "kinds": UnitKind.choices, "units": _units_of_tree(actor),
        "reveal": has_capability(actor, Capability.REVEAL_PII), "tab": "units", "district_manager": _district_manager(actor),
        "department_kinds": [(k, label) for k, label in UnitKind.choices if k not in TREE_KINDS],
    })


def _unit_add(request):
    """The district office adds a department that reports, or the streets and communities new
    to the tree."""
    actor = request.user
    district = _require_district_manager(actor)
    via = Via.from_request(request)
    try:
        if request.POST.get("action") == "sync":
            added = services.reporting_units_add_new(actor=actor, district=district, via=via)
            messages.success(request, _("%(n)s new streets and communities report from now on.") % {"n": added})
        else:
            unit = services.reporting_unit_create(actor=actor, district=district, kind=request.POST.get("kind", ""),
                                                  name=request.POST.get("name", ""), via=via)
            messages.success(request, _("%(unit)s reports from now on; name its head and reporters.") % {"unit": unit.name})
            if not any(unit.kind in t.unit_kinds for t in selectors.template_list(actor=actor, active_only=True)):
                messages.warning(request, _("No template in use asks %(kind)s yet: tick it under “Who reports” of a template.")
                                 % {"kind": unit.get_kind_display()})
            return redirect("reporting:unit_edit", uid=unit.uid)
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("reporting:units")


def unit_edit(request, uid):
    actor = request.user
    unit = selectors.access_unit(actor=actor, uid=uid)
    require(actor, Capability.MANAGE_REPORTING)
    form = UnitForm(request.POST or None, unit=unit, actor=actor, initial=unit_initial(unit))
    if request.method == "POST" and form.is_valid():
        try:
            services.reporting_unit_update(actor=actor, unit=unit, via=Via.from_request(request), **form.as_service())
        except PermissionDenied:
            raise
        except DomainError as e:
            unit.refresh_from_db()
            form_error(form, e)
        else:
            messages.success(request, _("%(unit)s saved.") % {"unit": unit.name})
            return redirect("reporting:units")
    return render(request, "reporting/unit_form.html", {"form": form, "unit": unit, "tab": "units"},
                  status=400 if form.is_bound else 200)


# --- 24-hour duty ---------------------------------------------------------------------------

@dataclass
class DutyRow:
    unit: ReportingUnit
    leader: DutyEntry | None = None
    officers: list[DutyEntry] = field(default_factory=list)
    may_edit: bool = False

    @property
    def is_gap(self) -> bool:
        return self.leader is None and not self.officers


def _duty_rows(*, actor, day: dt.date, org: OrgUnit | None) -> list[DutyRow]:
    """Every active unit the actor sees (their jurisdiction's, and the ones they report for),
    with who is on duty that day: two queries."""
    units = within(selectors.unit_list(actor=actor).filter(is_active=True), org).order_by("org_path", "kind", "name") \
        .prefetch_related(Prefetch("duty", queryset=DutyEntry.objects.filter(day=day).order_by("role", "name"), to_attr="on_duty"))
    rows = []
    for unit in units:
        row = DutyRow(unit)
        for entry in unit.on_duty:
            if entry.role == DutyRole.LEADER:
                row.leader = entry
            else:
                row.officers.append(entry)
        rows.append(row)
    return rows


def duty_board(request):
    actor = request.user
    day, org = _day(request, clock.today()), org_param(request)
    rows = _duty_rows(actor=actor, day=day, org=org)
    if request.GET.get("export") == "xlsx":
        return office_exports.duty_board_export(actor=actor, rows=rows, day=day, via=Via.from_request(request),
                                                filters={"day": day.isoformat(), "org": org.code if org else ""})
    page, query = paginate(request, rows, per_page=100)
    manager = has_capability(actor, Capability.MANAGE_REPORTING)
    mine = set(selectors.my_units(actor=actor).values_list("pk", flat=True))
    for row in page:
        row.may_edit = manager or row.unit.pk in mine
    return render(request, "reporting/duty_board.html", {
        "page_obj": page, "query": query, "day": day, "org": org, "units": _units_of_tree(actor),
        "gaps": sum(r.is_gap for r in rows), "total": len(rows), "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1), "reveal": has_capability(actor, Capability.REVEAL_PII), "tab": "duty",
    })


def _duty_url(day: dt.date) -> str:
    return f"{reverse('reporting:duty')}?{urlencode({'day': day.isoformat()})}"


def duty_edit(request, uid):
    """Who is on duty for a unit on a day. `?copy=1` fills the form from the day before (saved
    only when the user saves). Phones show masked to those who may not reveal them; a masked
    phone left as it was keeps the stored number."""
    actor = request.user
    unit = selectors.access_unit(actor=actor, uid=uid)
    day = _day(request, clock.today())
    reveal = has_capability(actor, Capability.REVEAL_PII)
    known = {(e.role, e.name): e.phone for e in unit.duty.filter(day__in=[day - dt.timedelta(days=1), day]).order_by("day")}
    problem = None
    status = 200
    if request.method == "POST":
        formset = DutyFormSet(request.POST, prefix="duty")
        if "add_row" in request.POST:
            formset = _one_more(DutyFormSet, formset, "duty", True)
        elif formset.is_valid():
            rows = [f for f in formset.forms if not f.is_blank()]
            entries = []
            for f in rows:
                role, name = f.cleaned_data["role"] or DutyRole.OFFICER, f.cleaned_data["name"].strip()
                phone, stored = f.cleaned_data["phone"].strip(), known.get((role, name))
                entries.append({"role": role, "name": name,
                                "phone": stored if stored and not reveal and phone == mask_phone(stored) else phone})
            try:
                services.duty_roster_set(actor=actor, unit=unit, day=day, entries=entries, via=Via.from_request(request))
            except PermissionDenied:
                raise
            except DomainError as e:
                problem = e.message
                if not _row_error(e, "entries", rows):
                    formset.non_form_errors().append(e.message)
            else:
                messages.success(request, _("The duty roster of %(unit)s on %(day)s is saved.") % {"unit": unit.name, "day": day})
                return redirect(_duty_url(day))
            status = 400
        else:
            status = 400
    else:
        source = day - dt.timedelta(days=1) if request.GET.get("copy") else day
        entries = list(unit.duty.filter(day=source).order_by("role", "id"))
        initial = [{"role": e.role, "name": e.name, "phone": e.phone if reveal else mask_phone(e.phone)} for e in entries]
        if not initial:
            initial = [{"role": DutyRole.LEADER}]
        formset = DutyFormSet(initial=initial + [{} for _i in range(BLANK_ROWS)], prefix="duty")
        if request.GET.get("copy") and not entries:
            messages.warning(request, _("Nobody was on duty the day before to copy."))
    return render(request, "reporting/duty_form.html", {
        "formset": formset, "unit": unit, "day": day, "problem": problem, "tab": "duty",
    }, status=status)


# --- reminders ------------------------------------------------------------------------------

def reminder_list(request):
    actor = request.user
    templates = list(selectors.template_list(actor=actor))
    chosen = next((t for t in templates if str(t.uid) == request.GET.get("template", "")), None)
    day = _day(request)
    delivery = request.GET.get("delivery", "")
    delivery = delivery if delivery in Reminder.Delivery.values else ""
    reminders = selectors.reminder_list(actor=actor, template=chosen, day=day)
    if delivery:
        reminders = reminders.filter(delivery=delivery)
    filters = {"template": str(chosen.uid) if chosen else "", "day": day.isoformat() if day else "", "delivery": delivery}
    if request.GET.get("export") == "xlsx":
        return office_exports.reminder_list_export(actor=actor, reminders=reminders, via=Via.from_request(request), filters=filters)
    page, query = paginate(request, reminders)
    return render(request, "reporting/reminder_list.html", {
        "page_obj": page, "query": query, "templates": templates, "chosen": chosen, "day": day, "delivery": delivery,
        "deliveries": Reminder.Delivery.choices, "tab": "reminders",
    })


# --- the daily brief ------------------------------------------------------------------------

def brief_list(request):
    actor = request.user
    page, query = paginate(request, selectors.brief_list(actor=actor).select_related("created_by"))
    return render(request, "reporting/brief_list.html", {
        "page_obj": page, "query": query, "can_issue": _district_manager(actor), "tab": "briefs",
    })


def brief_create(request):
    actor = request.user
    district = _require_district_manager(actor)
    templates = selectors.template_list(actor=actor).filter(district=district).order_by("-is_active", "name")
    # The recipients and editors rarely change from one issue to the next.
    last = selectors.brief_list(actor=actor).order_by("-number").first()
    initial = {k: getattr(last, k) for k in ("title", "office", "send_to", "copy_to", "editors")} if last else {}
    form = BriefForm(request.POST or None, templates=templates, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            brief = services.brief_issue(
                actor=actor, district=district, day=data["day"], title=data["title"], office=data["office"], send_to=data["send_to"],
                copy_to=data["copy_to"], editors=data["editors"], highlights=data["highlights"], templates=form.templates_chosen(),
                again=data["again"], via=Via.from_request(request))
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("%(brief)s is issued.") % {"brief": brief})
            return redirect("reporting:brief", uid=brief.uid)
    return render(request, "reporting/brief_form.html", {"form": form, "tab": "briefs"}, status=400 if form.is_bound else 200)


def brief_detail(request, uid):
    actor = request.user
    brief = selectors.access_brief(actor=actor, uid=uid)
    return render(request, "reporting/brief_detail.html", {
        **brief_docs.brief_context(brief), "reveal": has_capability(actor, Capability.REVEAL_PII), "tab": "briefs",
    })


def _download(request, uid, kind: str):
    actor = request.user
    brief = selectors.access_brief(actor=actor, uid=uid)
    try:
        data = brief_docs.brief_docx(brief) if kind == "docx" else brief_docs.brief_pdf(brief)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("reporting:brief", uid=brief.uid)
    brief_docs.brief_download_audit(actor=actor, brief=brief, kind=kind, via=Via.from_request(request))
    return brief_docs.brief_file_response(brief, data, kind)


def brief_docx(request, uid):
    return _download(request, uid, "docx")


def brief_pdf(request, uid):
    return _download(request, uid, "pdf")
