from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view, audit_view
from lianfang.core.errors import DomainError
from lianfang.core.exports import export_list
from lianfang.core.models import Level, OrgUnit
from lianfang.core.roles import Capability, has_capability
from lianfang.core.services import require
from lianfang.core.views import form_error, org_param, paginate
from lianfang.quarantine.models import Category
from lianfang.registry.models import RelationToHead

from . import forms, selectors, services
from .criteria import describe_reason
from .exports import CANDIDATE_COLUMNS, ROUND_COLUMNS, UNVISITED_COLUMNS, WORK_LOG_COLUMNS, ledger_export
from .models import CandidateStatus, CaseContact, Method, Presence, Result, ScreeningRound, Symptom



def _round_and_base(request, uid):
    screening_round = selectors.access_round(actor=request.user, uid=uid)
    base = selectors.round_base(actor=request.user, screening_round=screening_round, org=org_param(request))
    return screening_round, base


def _crumbs(request, screening_round: ScreeningRound, base: OrgUnit) -> list[OrgUnit]:
    """The way back up from `base`, within the round's scope and the actor's jurisdiction."""
    crumbs = core_selectors.org_unit_breadcrumbs(actor=request.user, org_unit=base)
    return [c for c in crumbs if c.path.startswith(screening_round.scope_path)]


def round_list(request):
    status = request.GET.get("status", "")
    rounds = selectors.round_list(actor=request.user, status=status if status in ScreeningRound.Status.values else "")
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=Via.from_request(request), object_type="screening_round", queryset=rounds,
                           columns=ROUND_COLUMNS, name=_("screening rounds"), personal=False)
    page, query = paginate(request, rounds)
    return render(request, "screening/round_list.html", {
        "page_obj": page, "query": query, "status": status, "statuses": ScreeningRound.Status.choices,
    })


def round_new(request):
    require(request.user, Capability.MANAGE_SCREENING)
    form = forms.RoundForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            scope = core_selectors.access_org_unit(actor=request.user, code=form.cleaned_data["scope"])
            screening_round = services.screening_round_open(actor=request.user, scope=scope, via=Via.from_request(request),
                                                            **form.criteria())
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Round opened: its households are now on the grid workers' lists."))
            return redirect("screening:round", uid=screening_round.uid)
    return render(request, "screening/round_form.html", {"form": form})


def round_edit(request, uid):
    screening_round = selectors.access_round(actor=request.user, uid=uid)
    require(request.user, Capability.MANAGE_SCREENING)
    initial = {f: getattr(screening_round, f) for f in services.ROUND_FIELDS}
    initial["risk_areas"] = "、".join(screening_round.risk_areas)
    form = forms.RoundForm(request.POST or None, actor=request.user, fixed_scope=screening_round.scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_round_update(actor=request.user, screening_round=screening_round, via=Via.from_request(request),
                                            **form.criteria())
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("screening:round", uid=screening_round.uid)
    return render(request, "screening/round_form.html", {"form": form, "round": screening_round})


@require_POST
def round_transition(request, uid):
    screening_round = selectors.access_round(actor=request.user, uid=uid)
    try:
        services.screening_round_transition(actor=request.user, screening_round=screening_round,
                                            status=request.POST.get("status", ""), via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("The round is now %(status)s.") % {"status": screening_round.get_status_display()})
    return redirect("screening:round", uid=uid)


def round_detail(request, uid):
    """Coverage of the round at one node of the tree, with a row and a bar per child."""
    screening_round, base = _round_and_base(request, uid)
    total, rows = selectors.coverage(actor=request.user, screening_round=screening_round, org=base)
    template = "screening/round_detail.html#coverage" if request.htmx else "screening/round_detail.html"
    return render(request, template, {
        "round": screening_round, "base": base, "total": total, "rows": rows, "crumbs": _crumbs(request, screening_round, base),
        "compact": bool(request.GET.get("compact")),
        "can_manage": selectors.round_manageable(actor=request.user, screening_round=screening_round),
        "can_record": has_capability(request.user, Capability.RECORD_SCREENING),
    })


def today(request, uid):
    """The grid worker's list for today: revisits due first, then households not yet visited."""
    screening_round, base = _round_and_base(request, uid)
    households = selectors.work_list(actor=request.user, screening_round=screening_round, org=base)
    page, query = paginate(request, households)
    total, _rows = selectors.coverage(actor=request.user, screening_round=screening_round, org=base)
    context = {"round": screening_round, "base": base, "page_obj": page, "query": query, "total": total,
               "today": timezone.localdate(), "can_record": has_capability(request.user, Capability.RECORD_SCREENING)
               and screening_round.is_open}
    for household in page:
        household.visit_uid = forms.new_visit_uid()
    return render(request, "screening/today.html", context)


def unvisited(request, uid):
    screening_round, base = _round_and_base(request, uid)
    households = selectors.unvisited_list(actor=request.user, screening_round=screening_round, org=base)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=Via.from_request(request), object_type="household", queryset=households,
                           columns=UNVISITED_COLUMNS, name=_("households not yet visited"), personal=False,
                           filters={"round": str(screening_round.uid), "org": base.code})
    page, query = paginate(request, households)
    return render(request, "screening/unvisited.html", {
        "round": screening_round, "base": base, "page_obj": page, "query": query, "crumbs": _crumbs(request, screening_round, base),
    })


def _date_param(request, name: str):
    value = request.GET.get(name, "").strip()
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


def work_log(request, uid):
    screening_round, base = _round_and_base(request, uid)
    level = request.GET.get("level", "")
    levels = [(lv, Level(lv).label) for lv in selectors.WORK_LOG_LEVELS if Level.values.index(lv) >= Level.values.index(base.level)]
    if level not in selectors.WORK_LOG_LEVELS:
        # One level below the node by default: a street sees its communities, a community its grids.
        deeper = [lv for lv in selectors.WORK_LOG_LEVELS if Level.values.index(lv) > Level.values.index(base.level)]
        level = deeper[0] if deeper else Level.GRID
    since, until = _date_param(request, "since"), _date_param(request, "until")
    entries = selectors.work_log(actor=request.user, screening_round=screening_round, org=base, level=level, since=since, until=until)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=Via.from_request(request), object_type="screening_round", queryset=entries,
                           columns=WORK_LOG_COLUMNS, name=_("screening work log"), personal=False)
    return render(request, "screening/work_log.html", {
        "round": screening_round, "base": base, "entries": entries, "level": level, "levels": levels,
        "since": since, "until": until, "crumbs": _crumbs(request, screening_round, base),
    })


def candidates(request, uid):
    screening_round, base = _round_and_base(request, uid)
    status = request.GET.get("status", "")
    status = status if status in CandidateStatus.values else ""
    checks = selectors.candidate_list(actor=request.user, screening_round=screening_round, org=base, status=status)
    filters = {"round": str(screening_round.uid), "org": base.code, "status": status}
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=Via.from_request(request), object_type="key_person_candidate", queryset=checks,
                           columns=CANDIDATE_COLUMNS, name=_("key-person candidates"), personal=True, filters=filters)
    page, query = paginate(request, checks)
    audit_list_view(actor=request.user, object_type="key_person_candidate", via=Via.from_request(request), filters=filters,
                    page=page.number)
    for check in page:
        check.reasons = [describe_reason(r) for r in check.candidate_reasons]
    return render(request, "screening/candidates.html", {
        "round": screening_round, "base": base, "page_obj": page, "query": query, "status": status,
        "statuses": CandidateStatus.choices, "crumbs": _crumbs(request, screening_round, base),
        "can_decide": has_capability(request.user, Capability.DECIDE_CANDIDATES), "categories": Category.choices,
    })


def _back_to_candidates(request, check):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("screening:candidates", args=[check.round.uid])
    return redirect(target)


@require_POST
def candidate_confirm(request, uid):
    check = selectors.access_check(actor=request.user, uid=uid)
    try:
        services.candidate_confirm(actor=request.user, check=check, category=request.POST.get("category", ""), via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("%(name)s is now a key person.") % {"name": check.resident.name})
    return _back_to_candidates(request, check)


@require_POST
def candidate_dismiss(request, uid):
    check = selectors.access_check(actor=request.user, uid=uid)
    try:
        services.candidate_dismiss(actor=request.user, check=check, reason=request.POST.get("reason", ""), via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("%(name)s is not a key person: dismissed.") % {"name": check.resident.name})
    return _back_to_candidates(request, check)


def ledger(request, uid):
    """The round's 摸排台账 as .xlsx: one row per person of the node, masked."""
    screening_round, base = _round_and_base(request, uid)
    return ledger_export(actor=request.user, screening_round=screening_round, base=base, via=Via.from_request(request))


def _people_forms(request, household):
    """One block per registered member (pre-set to present, nothing found) and three empty
    blocks for people found who are not registered yet."""
    post = request.POST if request.method == "POST" else None
    members = [{"prefix": f"p-{r.uid}", "resident": r, "values": forms.person_values(post, f"p-{r.uid}")}
               for r in household.residents.order_by("pk")]
    for member in members:
        member["open"] = forms.has_findings(member["values"])
    newcomers = [{"prefix": f"n{i}", "values": forms.person_values(post, f"n{i}")} for i in range(3)]
    return members, newcomers


def _checks_from_post(members, newcomers) -> list:
    checks = [forms.check_in(m["values"], resident=m["resident"]) for m in members if forms.has_findings(m["values"])]
    for n in newcomers:
        v = n["values"]
        if v["name"].strip() or v["id_number"].strip():
            person = {"name": v["name"], "id_number": v["id_number"], "phone": v["phone"],
                      "relation_to_head": v["relation_to_head"] or RelationToHead.OTHER}
            checks.append(forms.check_in(v, new_person=person))
    return checks


def visit_new(request, uid, household_uid):
    """Record a visit: one screen. Defaults are "door, all present, nothing found", so an
    ordinary household is one tap on Save."""
    screening_round = selectors.access_round(actor=request.user, uid=uid)
    household = selectors.access_household(actor=request.user, screening_round=screening_round, uid=household_uid)
    if request.method == "GET":  # the form lists the household's people by name
        audit_view(actor=request.user, record=household, object_type="household", via=Via.from_request(request))
    members, newcomers = _people_forms(request, household)
    error = None
    if request.method == "POST":
        result = request.POST.get("result", "")
        try:
            visit, created = services.screening_visit_record(
                actor=request.user, screening_round=screening_round, household=household, uid=request.POST.get("uid") or None,
                method=request.POST.get("method", ""), result=result, notes=request.POST.get("notes", ""),
                checks=[] if result in services.NOBODY_RESULTS else _checks_from_post(members, newcomers), via=Via.from_request(request),
            )
        except DomainError as e:
            error = e
        else:
            if request.htmx:  # the quick buttons of the work list: the row says it is done, the bar moves
                response = render(request, "screening/today.html#recorded", {"round": screening_round, "household": household, "visit": visit})
                response["HX-Trigger"] = "visit-recorded"
                return response
            flagged = visit.person_checks.filter(is_candidate=True).count()
            message = _("Recorded: %(address)s, %(result)s.") % {"address": household.address, "result": visit.get_result_display()}
            if flagged:
                message += " " + _("%(n)s key-person candidate(s) flagged.") % {"n": flagged}
            messages.success(request, message) if created else messages.info(request, _("This visit was already recorded."))
            return redirect(f"{reverse('screening:today', args=[screening_round.uid])}")
        if request.htmx:
            return render(request, "screening/today.html#recorded", {"round": screening_round, "household": household, "error": error})
    history = selectors.visit_list(actor=request.user, screening_round=screening_round, household=household).order_by("-visited_at")
    return render(request, "screening/visit_form.html", {
        "round": screening_round, "household": household, "members": members, "newcomers": newcomers, "error": error,
        "newcomers_open": any(n["values"]["name"] or n["values"]["id_number"] for n in newcomers),
        "uid": request.POST.get("uid") if request.method == "POST" else forms.new_visit_uid(),
        "method": request.POST.get("method", Method.DOOR), "result": request.POST.get("result", Result.ALL_PRESENT),
        "notes": request.POST.get("notes", ""), "methods": Method.choices, "results": Result.choices, "history": history,
        "presences": Presence.choices, "contacts": CaseContact.choices, "symptoms": Symptom.choices,
        "relations": RelationToHead.choices,
    }, status=400 if error else 200)
