import time

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view, audit_view
from lianfang.core.errors import DomainError
from lianfang.core.exports import export_list
from lianfang.core.models import Level
from lianfang.core.roles import Capability, has_capability
from lianfang.core.scoping import scoped
from lianfang.core.services import require
from lianfang.core.views import form_error, org_param, paginate

from . import forms, selectors, services
from .exports import CASE_COLUMNS, CONTACT_COLUMNS
from .models import Case, Classification, Contact, ContactKind, Setting



def _date(request, name: str):
    try:
        return parse_date(request.GET.get(name, "").strip() or "") or None
    except ValueError:
        return None


def _streets(request):
    from lianfang.core.models import OrgUnit

    return scoped(OrgUnit.objects.filter(level=Level.STREET), request.user).order_by("path")


def case_list(request):
    actor, org = request.user, org_param(request)
    filters = {k: request.GET.get(k, "").strip() for k in ("classification", "status", "cluster", "q")}
    onset_from, onset_to = _date(request, "onset_from"), _date(request, "onset_to")
    cases = selectors.case_list(actor=actor, org=org, onset_from=onset_from, onset_to=onset_to, **filters)
    logged = dict(filters, org=org.code if org else "", onset_from=str(onset_from or ""), onset_to=str(onset_to or ""))
    via = Via.from_request(request)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=actor, via=via, object_type="case", queryset=cases, columns=CASE_COLUMNS, name=_("cases"),
                           personal=True, filters=logged)
    page, query = paginate(request, cases)
    audit_list_view(actor=actor, object_type="case", via=via, filters=logged, page=page.number)
    return render(request, "tracing/case_list.html", {
        "page_obj": page, "query": query, "org": org, **filters, "onset_from": onset_from, "onset_to": onset_to,
        "classifications": Classification.choices, "statuses": Case.Status.choices, "streets": _streets(request),
        "clusters": selectors.cluster_names(actor=actor), "can_trace": has_capability(actor, Capability.TRACE_CASES),
    })


def case_new(request):
    require(request.user, Capability.TRACE_CASES)
    infected_by = None
    source_uid = request.GET.get("infected_by") or request.POST.get("infected_by")
    if source_uid:
        infected_by = selectors.access_case(actor=request.user, uid=source_uid)
    form = forms.CaseForm(request.POST or None, actor=request.user,
                          initial={"cluster": infected_by.cluster} if infected_by else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            org = core_selectors.access_org_unit(actor=request.user, code=data.pop("org"))
            case = services.case_register(actor=request.user, org=org, infected_by=infected_by, via=Via.from_request(request), **data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Case registered."))
            return redirect("tracing:case", uid=case.uid)
    return render(request, "tracing/case_form.html", {"form": form, "infected_by": infected_by})


def case_detail(request, uid):
    actor = request.user
    case = selectors.access_case(actor=actor, uid=uid)
    audit_view(actor=actor, record=case, object_type="case", via=Via.from_request(request))
    return _case_page(request, case)


def _case_page(request, case, **forms_in):
    actor = request.user
    contacts = selectors.contact_list(actor=actor, case=case)
    return render(request, "tracing/case_detail.html", {
        "case": case,
        "history": selectors.case_history(case=case),
        "trajectory": selectors.case_trajectory(case=case),
        "contacts": contacts,
        "infected": selectors.case_infected(actor=actor, case=case),
        "can_trace": has_capability(actor, Capability.TRACE_CASES),
        "classify_form": forms_in.get("classify_form") or forms.ClassifyForm(initial={"classification": ""}),
        "trajectory_form": forms_in.get("trajectory_form") or forms.TrajectoryForm(),
        "contact_form": forms_in.get("contact_form") or forms.ContactForm(),
        "next_classifications": [(c, label) for c, label in Classification.choices
                                 if c in selectors.next_classifications(case)],
        "hand_over_form": forms.HandOverForm(), "to_case_form": forms.ToCaseForm(),
    }, status=400 if forms_in else 200)


def case_edit(request, uid):
    case = selectors.access_case(actor=request.user, uid=uid)
    require(request.user, Capability.TRACE_CASES)
    form = forms.CaseEditForm(request.POST or None, initial={f: getattr(case, f) for f in services.CASE_FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(actor=request.user, case=case, via=Via.from_request(request), **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("tracing:case", uid=case.uid)
    return render(request, "tracing/case_form.html", {"form": form, "case": case})


@require_POST
def case_classify(request, uid):
    case = selectors.access_case(actor=request.user, uid=uid)
    form = forms.ClassifyForm(request.POST)
    if form.is_valid():
        try:
            services.case_classify(actor=request.user, case=case, via=Via.from_request(request), **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Classification changed."))
            return redirect("tracing:case", uid=uid)
    return _case_page(request, case, classify_form=form)


@require_POST
def trajectory_add(request, uid):
    case = selectors.access_case(actor=request.user, uid=uid)
    form = forms.TrajectoryForm(request.POST)
    if form.is_valid():
        try:
            services.trajectory_add(actor=request.user, case=case, via=Via.from_request(request), **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Place added to the trajectory."))
            return redirect("tracing:case", uid=uid)
    return _case_page(request, case, trajectory_form=form)


@require_POST
def trajectory_remove(request, uid, entry_id: int):
    case = selectors.access_case(actor=request.user, uid=uid)
    entry = selectors.access_trajectory_entry(case=case, entry_id=entry_id)
    try:
        services.trajectory_remove(actor=request.user, entry=entry, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Place removed from the trajectory."))
    return redirect("tracing:case", uid=uid)


@require_POST
def contact_add(request, uid):
    case = selectors.access_case(actor=request.user, uid=uid)
    form = forms.ContactForm(request.POST)
    if form.is_valid():
        try:
            contact, created = services.contact_add(actor=request.user, case=case, via=Via.from_request(request),
                                                    **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            if not created:
                messages.info(request, _("%(name)s was already recorded as a contact of this case.") % {"name": contact.name})
            elif contact.status == Contact.Status.QUARANTINED:
                messages.success(request, _("%(name)s is now a key person under quarantine until %(end)s.") % {
                    "name": contact.name, "end": contact.order.end_date})
            elif contact.key_person_id:
                messages.success(request, _("%(name)s is now a key person; the street orders the quarantine.") % {"name": contact.name})
            else:
                messages.success(request, _("%(name)s recorded; hand them over to where they live.") % {"name": contact.name})
            return redirect("tracing:case", uid=uid)
    return _case_page(request, case, contact_form=form)


@require_POST
def contact_hand_over(request, uid):
    contact = selectors.access_contact(actor=request.user, uid=uid)
    form = forms.HandOverForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("Say to whom the contact is handed over (district, street, CDC)."), field="to")
        services.contact_hand_over(actor=request.user, contact=contact, via=Via.from_request(request), **form.cleaned_data)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("%(name)s handed over.") % {"name": contact.name})
    return redirect("tracing:case", uid=contact.case.uid)


@require_POST
def contact_to_case(request, uid):
    contact = selectors.access_contact(actor=request.user, uid=uid)
    form = forms.ToCaseForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("Choose the classification."), field="classification")
        case = services.contact_to_case(actor=request.user, contact=contact, via=Via.from_request(request), **form.cleaned_data)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("tracing:case", uid=contact.case.uid)
    messages.success(request, _("%(name)s is now a case.") % {"name": case.name})
    return redirect("tracing:case", uid=case.uid)


def contact_list(request):
    actor, org = request.user, org_param(request)
    filters = {k: request.GET.get(k, "").strip() for k in ("kind", "status", "setting", "q")}
    contacts = selectors.contact_list(actor=actor, org=org, **filters)
    logged = dict(filters, org=org.code if org else "")
    via = Via.from_request(request)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=actor, via=via, object_type="case_contact", queryset=contacts, columns=CONTACT_COLUMNS,
                           name=_("contacts"), personal=True, filters=logged)
    page, query = paginate(request, contacts)
    audit_list_view(actor=actor, object_type="case_contact", via=via, filters=logged, page=page.number)
    return render(request, "tracing/contact_list.html", {
        "page_obj": page, "query": query, "org": org, **filters, "kinds": ContactKind.choices, "settings": Setting.choices,
        "statuses": Contact.Status.choices, "streets": _streets(request),
    })


# --- transmission chains --------------------------------------------------------------------

CHAIN_LIMITS = (50, 200, 1000)


def _chain_params(request) -> dict:
    try:
        min_cases = max(1, int(request.GET.get("min_cases") or 1))
    except ValueError:
        min_cases = 1
    limit = request.GET.get("limit", "200")
    return {
        "org": org_param(request), "cluster": request.GET.get("cluster", "").strip(), "min_cases": min_cases,
        "limit": int(limit) if limit.isdigit() and int(limit) > 0 else None,
        "include_excluded": request.GET.get("excluded") == "1",
    }


def chains(request):
    params = _chain_params(request)
    query = request.GET.urlencode()
    return render(request, "tracing/chains.html", {
        **params, "query": query, "streets": _streets(request), "clusters": selectors.cluster_names(actor=request.user),
        "limits": CHAIN_LIMITS, "limit_value": request.GET.get("limit", "200"),
    })


def chain_figure(request):
    """The figure as JSON, fetched by the chains page (filters in the query string). Who looked
    at which chains is logged like any list of people."""
    actor = request.user
    params = _chain_params(request)
    started = time.perf_counter()
    found = selectors.chain_list(actor=actor, **params)
    figure = selectors.chain_figure(actor=actor, chains=found)
    elapsed = time.perf_counter() - started
    audit_list_view(actor=actor, object_type="case_chain", via=Via.from_request(request),
                    filters={**params, "org": params["org"].code if params["org"] else ""}, page=1)
    summary = [{"n": i + 1, "root": c.root.uid, "name": c.root.name, "cases": c.size, "contacts": len(c.contacts)}
               for i, c in enumerate(found[:50])]
    return JsonResponse({"figure": figure, "chains": summary, "shown": len(found),
                         "cases": sum(c.size for c in found), "contacts": sum(len(c.contacts) for c in found),
                         "ms": round(elapsed * 1000)})
