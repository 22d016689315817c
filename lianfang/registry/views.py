from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view, audit_view
from lianfang.core.errors import DomainError
from lianfang.core.exports import export_list
from lianfang.core.pii import MASKERS
from lianfang.core.models import LEVEL_ORDER, Level, OrgUnit
from lianfang.core.roles import Capability, has_capability
from lianfang.core.scoping import scoped, subtree_q
from lianfang.core.services import pii_reveal, require
from lianfang.core.views import form_error, paginate

from . import selectors, services
from .exports import HOUSEHOLD_COLUMNS, RESIDENT_COLUMNS
from .forms import HouseholdForm, ResidentForm, RemoveForm
from .models import ResidenceType, Sex

_HOUSEHOLD_LEVELS = LEVEL_ORDER[LEVEL_ORDER.index(Level.GRID):]


def _org_filter(request) -> OrgUnit | None:
    code = request.GET.get("org", "").strip()
    return core_selectors.access_org_unit(actor=request.user, code=code) if code else None


def resident_list(request):
    actor = request.user
    org = _org_filter(request)
    filters = {k: request.GET.get(k, "").strip() for k in ("q", "residence_type", "sex")}
    residents = selectors.resident_list(actor=actor, org=org, **filters)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=actor, via=Via.from_request(request), object_type="resident", queryset=residents,
                           columns=RESIDENT_COLUMNS, name=_("residents"), personal=True,
                           filters=dict(filters, org=org.code if org else ""))
    page, query = paginate(request, residents)
    audit_list_view(actor=actor, object_type="resident_list", via=Via.from_request(request),
                    filters=dict(filters, org=org.code if org else ""), page=page.number)
    context = {"page_obj": page, "query": query, "org": org, **filters,
               "residence_types": ResidenceType.choices, "sexes": Sex.choices}
    template = "registry/resident_list.html#results" if request.htmx else "registry/resident_list.html"
    return render(request, template, context)


def resident_detail(request, uid):
    actor = request.user
    resident = selectors.access_resident(actor=actor, uid=uid)
    audit_view(actor=actor, record=resident, object_type="resident", via=Via.from_request(request))
    return render(request, "registry/resident_detail.html", {
        "resident": resident,
        "housemates": resident.household.residents.exclude(pk=resident.pk),
        "can_reveal": has_capability(actor, Capability.REVEAL_PII),
        "can_edit": has_capability(actor, Capability.EDIT_REGISTRY),
    })


@require_POST
def resident_reveal(request, uid, field: str):
    resident = selectors.access_resident(actor=request.user, uid=uid)
    try:
        value = pii_reveal(actor=request.user, record=resident, field=field, object_type="resident", via=Via.from_request(request))
    except DomainError as e:
        return HttpResponse(format_html('<span class="error">{}</span>', e.message), status=e.status)
    return HttpResponse(format_html('<span class="pii revealed" data-field="{}">{}</span>', field, value or "—"))


def resident_new(request, uid):
    """Register a person in a household; a known ID number opens the existing person."""
    require(request.user, Capability.EDIT_REGISTRY)
    household = selectors.access_household(actor=request.user, uid=uid)
    form = ResidentForm(request.POST or None, initial={"relation_to_head": "other" if household.residents.exists() else "head"})
    if request.method == "POST" and form.is_valid():
        try:
            resident, created = services.resident_register(actor=request.user, household=household,
                                                           via=Via.from_request(request), **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            if created:
                messages.success(request, _("%(name)s registered.") % {"name": resident.name})
            else:
                messages.warning(request, _("This ID number is already registered: this is the existing person, nothing was added."))
            return redirect("registry:resident", uid=resident.uid)
    return render(request, "registry/resident_form.html", {"form": form, "household": household})


def resident_edit(request, uid):
    require(request.user, Capability.EDIT_REGISTRY)
    resident = selectors.access_resident(actor=request.user, uid=uid)
    initial = {f: getattr(resident, f) for f in ("name", "id_number", "phone", "relation_to_head", "residence_type", "sex", "birth_date", "notes")}
    initial["id_number"] = ""  # never pre-fill the full number into a page; empty = unchanged
    initial["phone"] = ""
    form = ResidentForm(request.POST or None, initial=initial)
    _keep_hint(form, "id_number", resident.id_number)
    _keep_hint(form, "phone", resident.phone)
    remove_form = RemoveForm()
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["id_number"] = data["id_number"] or resident.id_number or ""
        data["phone"] = data["phone"] or resident.phone
        try:
            services.resident_update(actor=request.user, resident=resident, via=Via.from_request(request), **data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:resident", uid=resident.uid)
    return render(request, "registry/resident_form.html",
                  {"form": form, "household": resident.household, "resident": resident, "remove_form": remove_form})


@require_POST
def resident_remove(request, uid):
    resident = selectors.access_resident(actor=request.user, uid=uid)
    household_uid = resident.household.uid
    try:
        services.resident_remove(actor=request.user, resident=resident, reason=request.POST.get("reason", ""), via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("registry:resident_edit", uid=uid)
    messages.success(request, _("Removed from the registry."))
    return redirect("registry:household", uid=household_uid)


def _keep_hint(form, field: str, value: str | None) -> None:
    """Full identifiers are never put back into a page: an empty field keeps the stored one."""
    if value:
        form.fields[field].help_text = _("Leave empty to keep %(masked)s.") % {"masked": MASKERS[field](value)}


def household_list(request):
    actor = request.user
    org = _org_filter(request)
    q = request.GET.get("q", "").strip()
    households = selectors.household_list(actor=actor, q=q, org=org)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=actor, via=Via.from_request(request), object_type="household", queryset=households,
                           columns=HOUSEHOLD_COLUMNS, name=_("households"), personal=True, filters={"q": q, "org": org.code if org else ""})
    page, query = paginate(request, households)
    template = "registry/household_list.html#results" if request.htmx else "registry/household_list.html"
    return render(request, template, {"page_obj": page, "query": query, "org": org, "q": q})


def household_detail(request, uid):
    actor = request.user
    household = selectors.access_household(actor=actor, uid=uid)
    audit_view(actor=actor, record=household, object_type="household", via=Via.from_request(request))
    return render(request, "registry/household_detail.html", {
        "household": household,
        "residents": selectors.resident_list(actor=actor, household=household),
        "can_edit": has_capability(actor, Capability.EDIT_REGISTRY),
    })


@require_POST
def household_remove(request, uid):
    household = selectors.access_household(actor=request.user, uid=uid)
    try:
        services.household_remove(actor=request.user, household=household, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("registry:household", uid=uid)
    messages.success(request, _("Household removed."))
    return redirect(f"{reverse('registry:households')}?org={household.grid.code}")


def _grids(actor) -> list[OrgUnit]:
    return list(scoped(OrgUnit.objects.filter(level=Level.GRID).select_related("parent"), actor).order_by("path"))


def _places_under(actor, grid: OrgUnit | None) -> list[OrgUnit]:
    """The grid's compounds, buildings and units, each labelled with its way down from the
    grid ("幸福小区 › 3号楼 › 2单元"), so that two "3号楼" can be told apart."""
    if grid is None:
        return []
    places = list(scoped(OrgUnit.objects.filter(subtree_q("path", grid.path)).exclude(pk=grid.pk), actor).order_by("path"))
    labels: dict[int, str] = {}
    for place in places:  # ordered by path: a parent comes before its children
        parent_label = labels.get(place.parent_id)
        labels[place.pk] = place.label = f"{parent_label} › {place.name}" if parent_label else place.name
    return places


def places(request):
    """The compounds, buildings and units of one grid, as <option>s for the household form."""
    code = request.GET.get("grid", "")
    grid = core_selectors.access_org_unit(actor=request.user, code=code) if code else None
    return render(request, "registry/household_form.html#place_options", {"places": _places_under(request.user, grid)})


def _resolve_place(actor, data: dict) -> OrgUnit:
    """The household's node: the chosen building/compound/unit, or else the grid itself."""
    try:
        grid = core_selectors.access_org_unit(actor=actor, code=data.pop("grid"))
        place_code = data.pop("place")
        place = core_selectors.access_org_unit(actor=actor, code=place_code) if place_code else grid
    except Http404:
        raise DomainError(_("Choose a grid in your jurisdiction."), field="grid")
    if grid.level != Level.GRID:
        raise DomainError(_("Choose a grid."), field="grid")
    if not place.path.startswith(grid.path):
        raise DomainError(_("That building is not in the chosen grid."), field="place")
    return place


def _household_form_page(request, *, form, household=None):
    grid_code = form["grid"].value()
    grid = OrgUnit.objects.filter(code=grid_code, level=Level.GRID).first() if grid_code else None
    return render(request, "registry/household_form.html", {
        "form": form, "household": household, "grids": _grids(request.user),
        "places": _places_under(request.user, grid), "place": form["place"].value(),
        "ask_same_room": household is None and ("room" in form.errors or form["allow_same_room"].value()),
    })


def _initial_place(org: OrgUnit | None) -> dict:
    if org is None or org.level not in _HOUSEHOLD_LEVELS:
        return {}
    if org.level == Level.GRID:
        return {"grid": org.code}
    _district, grid = services.household_place(org)
    return {"grid": grid.code, "place": org.code}


def household_new(request):
    require(request.user, Capability.EDIT_REGISTRY)
    actor = request.user
    form = HouseholdForm(request.POST or None, initial=_initial_place(_org_filter(request)) if request.method == "GET" else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            household = services.household_create(actor=actor, org=_resolve_place(actor, data), via=Via.from_request(request), **data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Household registered. Now add its residents."))
            return redirect("registry:resident_new", uid=household.uid)
    return _household_form_page(request, form=form)


def household_edit(request, uid):
    require(request.user, Capability.EDIT_REGISTRY)
    actor = request.user
    household = selectors.access_household(actor=actor, uid=uid)
    initial = {**_initial_place(household.org), "address": household.address, "room": household.room, "phone": "", "notes": household.notes}
    form = HouseholdForm(request.POST or None, initial=initial)
    _keep_hint(form, "phone", household.phone)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("allow_same_room")
        data["phone"] = data["phone"] or household.phone
        try:
            services.household_update(actor=actor, household=household, org=_resolve_place(actor, data), via=Via.from_request(request), **data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:household", uid=household.uid)
    return _household_form_page(request, form=form, household=household)
