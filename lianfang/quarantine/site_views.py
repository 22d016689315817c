"""Pages of central quarantine sites: the list with beds, a site with every room and who is in
it, rooms added by range, moves and check-outs, the occupancy ledger."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view
from lianfang.core.errors import DomainError, PermissionDenied
from lianfang.core.roles import Capability, has_capability
from lianfang.core.services import require
from lianfang.core.views import form_error, paginate

from . import site_selectors as selectors
from . import site_services as services
from .site_exports import site_ledger_export, site_list_export
from .site_forms import CheckOutForm, MoveForm, RoomForm, RoomsForm, SiteForm


def site_list(request):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "open")
    status = status if status in ("open", "closed", "") else "open"
    sites = selectors.site_list(actor=request.user, q=q, status=status)
    if request.GET.get("format") == "xlsx":
        return site_list_export(actor=request.user, sites=sites, via=Via.from_request(request), filters={"q": q, "status": status})
    page, query = paginate(request, sites)
    return render(request, "quarantine/site_list.html", {
        "page_obj": page, "query": query, "q": q, "status": status,
        "can_manage": has_capability(request.user, Capability.MANAGE_QUARANTINE),
    })


def site_new(request):
    require(request.user, Capability.MANAGE_QUARANTINE)
    form = SiteForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            org_unit = core_selectors.access_org_unit(actor=request.user, code=data.pop("org_unit"))
            site = services.site_create(actor=request.user, org_unit=org_unit, via=Via.from_request(request), **data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Site registered. Now add its rooms."))
            return redirect("quarantine:site", uid=site.uid)
    return render(request, "quarantine/site_form.html", {"form": form})


def site_edit(request, uid):
    site = selectors.access_site(actor=request.user, uid=uid)
    if not selectors.site_manageable(actor=request.user, site=site):
        raise PermissionDenied(_("This site is run above your jurisdiction; ask the district office to change it."))
    initial = {"name": site.name, "address": site.address, "org_unit": site.org_unit.code,
               "contact_name": site.contact_name, "contact_phone": site.contact_phone}
    form = SiteForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            org_unit = core_selectors.access_org_unit(actor=request.user, code=data.pop("org_unit"))
            services.site_update(actor=request.user, site=site, org_unit=org_unit, via=Via.from_request(request), **data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("quarantine:site", uid=site.uid)
    return render(request, "quarantine/site_form.html", {"form": form, "site": site})


@require_POST
def site_status(request, uid):
    site = selectors.access_site(actor=request.user, uid=uid)
    via = Via.from_request(request)
    try:
        if request.POST.get("status") == "closed":
            services.site_close(actor=request.user, site=site, via=via)
            messages.success(request, _("The site is closed; it takes no more check-ins."))
        else:
            services.site_reopen(actor=request.user, site=site, via=via)
            messages.success(request, _("The site is in use again."))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("quarantine:site", uid=uid)


def site_detail(request, uid, rooms_form=None):
    """Every room with its beds and the people in it (masked), free beds at a glance."""
    site = selectors.access_site(actor=request.user, uid=uid)
    free_only = bool(request.GET.get("free"))
    rows = selectors.site_rooms(actor=request.user, site=site, free_only=free_only)
    audit_list_view(actor=request.user, object_type="quarantine_site", via=Via.from_request(request),
                    filters={"site": str(site.uid), "free": "1" if free_only else ""}, page=1)
    can_manage = selectors.site_manageable(actor=request.user, site=site)
    template = "quarantine/site_detail.html#rooms" if request.htmx else "quarantine/site_detail.html"
    return render(request, template, {
        "site": site, "rows": rows, "free_only": free_only, "can_manage": can_manage,
        "can_move": has_capability(request.user, Capability.MANAGE_QUARANTINE),
        "rooms_form": rooms_form or (RoomsForm() if can_manage else None),
    }, status=400 if rooms_form is not None else 200)


@require_POST
def site_rooms_add(request, uid):
    """Add rooms from the form on the site page; an error shows the page again with the
    numbers as typed (nothing is added)."""
    site = selectors.access_site(actor=request.user, uid=uid)
    form = RoomsForm(request.POST)
    if form.is_valid():
        try:
            rooms = services.rooms_add(actor=request.user, site=site, via=Via.from_request(request), **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("%(n)d rooms added.") % {"n": len(rooms)})
            return redirect("quarantine:site", uid=site.uid)
    request.htmx = False  # the whole page, with the form's errors
    return site_detail(request, uid, rooms_form=form)


def site_room(request, uid, room_id):
    site = selectors.access_site(actor=request.user, uid=uid)
    room = selectors.access_room(actor=request.user, site=site, room_id=room_id)
    form = RoomForm(request.POST or None, initial={"capacity": room.capacity, "is_usable": room.is_usable})
    if request.method == "POST" and form.is_valid():
        try:
            services.room_update(actor=request.user, room=room, via=Via.from_request(request), **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Room %(room)s saved.") % {"room": room.number})
            return redirect("quarantine:site", uid=site.uid)
    return render(request, "quarantine/site_room.html", {"site": site, "room": room, "form": form,
                                                         "occupied": services.room_occupancy(room)})


def occupant_move(request, uid):
    order = selectors.access_occupant(actor=request.user, uid=uid)
    require(request.user, Capability.MANAGE_QUARANTINE)
    rooms = list(selectors.free_rooms(actor=request.user, exclude=order.room))
    form = MoveForm(request.POST or None, rooms=rooms)
    if request.method == "POST" and form.is_valid():
        room = next(r for r in rooms if str(r.pk) == form.cleaned_data["room"])
        try:
            services.room_move(actor=request.user, order=order, room=room, reason=form.cleaned_data["reason"],
                               via=Via.from_request(request))
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("%(name)s moved to room %(room)s.") % {"name": order.resident.name, "room": room.number})
            return redirect("quarantine:site", uid=room.site.uid)
    return render(request, "quarantine/site_move.html", {"order": order, "form": form, "rooms": rooms})


def occupant_check_out(request, uid):
    order = selectors.access_occupant(actor=request.user, uid=uid)
    require(request.user, Capability.MANAGE_QUARANTINE)
    form = CheckOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.occupant_check_out(actor=request.user, order=order, via=Via.from_request(request), **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("%(name)s checked out of room %(room)s.") % {"name": order.resident.name, "room": order.room.number})
            return redirect("quarantine:site", uid=order.room.site.uid)
    return render(request, "quarantine/site_check_out.html", {"order": order, "form": form})


def site_ledger(request, uid):
    site = selectors.access_site(actor=request.user, uid=uid)
    return site_ledger_export(actor=request.user, site=site, via=Via.from_request(request), current_only=bool(request.GET.get("current")))
