import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .audit import Via
from .errors import DomainError
from .excel import Column
from .exports import export_list
from .figures import SOURCES, figures_for
from .forms import ApiTokenForm, AuditFilterForm, OrgUnitForm, ResponsiblePersonForm
from .models import LEVEL_ORDER, ApiToken, Level
from .pii import mask_phone
from .templatetags.pii import audit_detail
from .roles import Capability, has_capability


def form_error(form, error) -> None:
    """Show a DomainError on the form: at its field when the form has one, else above it."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def org_param(request):
    """The `?org=CODE` filter of a list page (see selectors.org_filter)."""
    return selectors.org_filter(actor=request.user, code=request.GET.get("org", ""))


def date_param(raw: str | None, default=None):
    """A YYYY-MM-DD of a query or form; `default` when absent or malformed."""
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return default


def paginate(request, queryset, per_page: int = 50):
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    root = request.user.jurisdiction
    if root is None:
        messages.warning(request, _("Your account has no jurisdiction yet; ask the district office to assign one."))
        return render(request, "core/home.html", {"root": None})
    figures = figures_for(paths=[root.path], parent_path=root.path)
    return render(request, "core/home.html", {
        "root": root,
        "figures": [(SOURCES[name].title(), values[root.path]) for name, values in figures.items()],
    })


def org_tree(request):
    if request.user.jurisdiction is None:
        return redirect("home")
    return redirect("org_unit", code=request.user.jurisdiction.code)


def org_unit_detail(request, code: str):
    actor = request.user
    node = selectors.access_org_unit(actor=actor, code=code)
    children = list(selectors.org_unit_children(actor=actor, org_unit=node))
    paths = [node.path] + [c.path for c in children]
    figures = figures_for(paths=paths, parent_path=node.path)
    labels = [SOURCES[name].title() for name in figures]
    rows = [(child, [(labels[i], figures[name][child.path]) for i, name in enumerate(figures)]) for child in children]
    if request.GET.get("format") == "xlsx":
        columns = [Column(_("Jurisdiction unit"), lambda r: r[0].name, 20), Column(_("Level"), lambda r: r[0].get_level_display(), 12),
                   Column(_("Code"), lambda r: r[0].code, 16)]
        columns += [Column(label, lambda r, i=i: r[1][i][1], 10) for i, label in enumerate(labels)]
        return export_list(actor=actor, via=Via.from_request(request), object_type="org_unit", queryset=rows,
                           columns=columns, name=node.name, personal=False)
    lower_levels = LEVEL_ORDER[LEVEL_ORDER.index(node.level) + 1:]
    form = OrgUnitForm()
    form.fields["level"].choices = [(lv, Level(lv).label) for lv in lower_levels]
    return render(request, "core/org_unit.html", {
        "node": node,
        "crumbs": selectors.org_unit_breadcrumbs(actor=actor, org_unit=node),
        "figure_labels": labels,
        "stats": [(labels[i], figures[name][node.path]) for i, name in enumerate(figures)],
        "rows": rows,
        "people": selectors.responsible_person_list(actor=actor, org_unit=node),
        "person_form": ResponsiblePersonForm(),
        "child_form": form if lower_levels else None,
        "can_edit": has_capability(actor, Capability.EDIT_ORG),
        "is_household_level": node.level in LEVEL_ORDER[LEVEL_ORDER.index(Level.GRID):],
    })


@require_POST
def org_unit_add_child(request, code: str):
    parent = selectors.access_org_unit(actor=request.user, code=code)
    form = OrgUnitForm(request.POST)
    form.fields["level"].choices = [(lv, lv) for lv in LEVEL_ORDER]
    if form.is_valid():
        try:
            child = services.org_unit_create(actor=request.user, parent=parent, **form.cleaned_data)
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("%(name)s added.") % {"name": child.name})
    else:
        messages.error(request, _("Give the new unit a name and a level."))
    return redirect("org_unit", code=parent.code)


def responsible_person_add(request, code: str):
    node = selectors.access_org_unit(actor=request.user, code=code)
    form = ResponsiblePersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.responsible_person_add(actor=request.user, org_unit=node, via=Via.from_request(request), **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Responsible person added."))
            return redirect("org_unit", code=node.code)
    return render(request, "core/responsible_form.html", {"form": form, "node": node})


def responsible_person_edit(request, uid):
    person = selectors.access_responsible_person(actor=request.user, uid=uid)
    initial = {"name": person.name, "duty": person.duty, "phone": person.phone, "title": person.title}
    form = ResponsiblePersonForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if "remove" in request.POST:
            try:
                services.responsible_person_remove(actor=request.user, person=person, via=Via.from_request(request))
            except DomainError as e:
                messages.error(request, e.message)
            else:
                messages.success(request, _("Responsible person removed."))
            return redirect("org_unit", code=person.org_unit.code)
        if form.is_valid():
            try:
                services.responsible_person_update(actor=request.user, person=person, via=Via.from_request(request), **form.cleaned_data)
            except DomainError as e:
                form_error(form, e)
            else:
                messages.success(request, _("Saved."))
                return redirect("org_unit", code=person.org_unit.code)
    return render(request, "core/responsible_form.html", {"form": form, "node": person.org_unit, "person": person})


RESPONSIBLE_COLUMNS = [
    Column(_("Jurisdiction unit"), lambda p: p.org_unit.name, 20),
    Column(_("Level"), lambda p: p.org_unit.get_level_display(), 10),
    Column(_("Name"), lambda p: p.name, 12),
    Column(_("Duty"), lambda p: p.get_duty_display(), 22),
    Column(_("Title/post"), lambda p: p.title, 18),
    Column(_("Phone"), lambda p: mask_phone(p.phone), 14),
]


def responsible_people(request):
    actor = request.user
    duty, q = request.GET.get("duty", ""), request.GET.get("q", "").strip()
    people = selectors.responsible_person_list(actor=actor, duty=duty, q=q)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=actor, via=Via.from_request(request), object_type="responsible_person", queryset=people,
                           columns=RESPONSIBLE_COLUMNS, name=_("responsible-people"), personal=False, filters={"duty": duty, "q": q})
    page, query = paginate(request, people)
    from .models import Duty

    return render(request, "core/responsible_list.html", {"page_obj": page, "query": query, "duties": Duty.choices, "duty": duty, "q": q})


AUDIT_COLUMNS = [
    Column(_("Time"), lambda e: e.at, 18),
    Column(_("User"), lambda e: e.actor_name, 14),
    Column(_("Action"), lambda e: e.get_action_display(), 10),
    Column(_("Record type"), lambda e: e.get_object_type_display(), 14),
    Column(_("Record"), lambda e: e.object_label, 18),
    Column(_("Record id"), lambda e: e.object_ref, 36),
    Column(_("Detail"), lambda e: audit_detail(e.detail), 40),
    Column(_("Channel"), lambda e: e.get_channel_display(), 8),
    Column(_("Page/endpoint"), lambda e: e.request_path, 40),
    Column(_("IP address"), lambda e: e.ip, 14),
]


def audit_log(request):
    actor = request.user
    if not has_capability(actor, Capability.VIEW_AUDIT):
        return render(request, "core/forbidden.html", status=403)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_list(actor=actor, object_ref=request.GET.get("ref", ""), **filters)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=actor, via=Via.from_request(request), object_type="audit_entry", queryset=entries,
                           columns=AUDIT_COLUMNS, name=_("audit-log"), personal=False,
                           filters={k: str(v) for k, v in filters.items()})
    page, query = paginate(request, entries)
    return render(request, "core/audit_log.html", {"form": form, "page_obj": page, "query": query})


def profile(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            ApiToken.objects.filter(user=request.user, pk=request.POST.get("revoke")).delete()
            messages.success(request, _("Token revoked."))
            return redirect("profile")
        if form.is_valid():
            _token, new_key = ApiToken.issue(user=request.user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
    return render(request, "core/profile.html", {
        "form": form, "new_key": new_key, "tokens": request.user.api_tokens.order_by("-created"),
    })
