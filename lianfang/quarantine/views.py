"""Pages of key persons and quarantine. Thin: parse, access, call a service, render."""

import datetime as dt
import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core import clock
from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_list_view, audit_view
from lianfang.core.errors import DomainError
from lianfang.core.exports import export_list
from lianfang.core.roles import Capability, has_capability
from lianfang.core.views import org_param, paginate

from . import selectors, services, site_selectors
from .exports import ALERT_COLUMNS, FOLLOWUP_COLUMNS, KEY_PERSON_COLUMNS, ORDER_COLUMNS, RELEASE_COLUMNS, SUPPORT_COLUMNS
from .models import (
    FIVE_LEVELS, Alert, Category, CheckMethod, Duty, KeyPerson, OrderKind, QuarantineOrder, Scheme, Slot, Source, SpotCheck,
    SupportRequest, Symptom,
)
from .policy import policy_for

CADRE_ROWS = 5


def _filters(request, *names) -> dict:
    return {n: request.GET.get(n, "").strip() for n in names}



def _list_page(request, *, object_type: str, queryset, columns, name: str, template: str, filters: dict, context: dict):
    """The shared shape of a list page: .xlsx when asked (audited), else a page of 50 (audited)."""
    via = Via.from_request(request)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=via, object_type=object_type, queryset=queryset, columns=columns, name=name,
                           personal=True, filters=filters)
    page, query = paginate(request, queryset)
    audit_list_view(actor=request.user, object_type=object_type, via=via, filters=filters, page=page.number)
    return render(request, template, {"page_obj": page, "query": query, **filters, **context})


# --- key persons ----------------------------------------------------------------------------

def key_person_list(request):
    filters = _filters(request, "category", "source", "status", "org", "mine")
    org = org_param(request)
    people = selectors.key_person_list(actor=request.user, org=org, category=filters["category"], source=filters["source"],
                                       status=filters["status"], mine=bool(filters["mine"]))
    return _list_page(request, object_type="key_person", queryset=people, columns=KEY_PERSON_COLUMNS, name=_("key persons"),
                      template="quarantine/key_person_list.html", filters=filters, context={
                          "org_unit": org, "categories": Category.choices, "sources": Source.choices,
                          "statuses": KeyPerson.Status.choices})


def key_person_file(request, uid):
    """建档立卡: everything about one person under watch."""
    person = selectors.access_key_person(actor=request.user, uid=uid)
    audit_view(actor=request.user, record=person, object_type="key_person", via=Via.from_request(request))
    orders = list(selectors.order_list(actor=request.user).filter(key_person=person))
    active = next((o for o in orders if o.is_active), None)
    return render(request, "quarantine/key_person_file.html", {
        "person": person, "orders": orders, "active": active, "events": person.events.select_related("actor"),
        "checks": selectors.order_checks(order=active)[:14] if active else [],
        "alerts": selectors.alert_list(actor=request.user).filter(key_person=person)[:20],
        "categories": Category.choices, **_order_form_context(request, person),
    })


def _order_form_context(request, person) -> dict:
    return {"kinds": OrderKind.choices, "schemes": Scheme.choices, "duties": Duty.choices, "five_levels": FIVE_LEVELS,
            "default_days": policy_for(district_id=person.district_id).days_for(person.category), "today": clock.today(),
            "rooms": site_selectors.free_rooms(actor=request.user), "cadre_values": _cadre_values(request)}


def _cadre_values(request, existing=()) -> list[dict]:
    """The cadre rows of a form: as posted (nothing typed is lost on an error), else as named."""
    if request.method == "POST":
        return [{f: request.POST.get(f"cadre-{i}-{f}", "") for f in ("duty", "name", "phone", "username")} for i in range(CADRE_ROWS)]
    rows = [{"duty": c.duty, "name": c.name, "phone": c.phone, "username": c.user.username if c.user_id else ""} for c in existing]
    return (rows + [{}] * CADRE_ROWS)[:max(CADRE_ROWS, len(rows))]


def _cadres_from_post(request) -> list[dict]:
    return services.cadres_resolve(actor=request.user, cadres=_cadre_values(request))


def _room_from_post(request):
    room_id = request.POST.get("room", "")
    return site_selectors.access_room_any(actor=request.user, room_id=room_id) if room_id else None


def order_start(request, uid):
    person = selectors.access_key_person(actor=request.user, uid=uid)
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            start = parse_date(request.POST.get("start_date", ""))
            if start is None:
                raise DomainError(_("Give the start date."), field="start_date")
            order = services.quarantine_order_start(
                actor=request.user, key_person=person, kind=request.POST.get("kind", ""), start_date=start,
                days=request.POST.get("days") or None, scheme=request.POST.get("scheme", Scheme.TWO_FOR_ONE),
                cadres=_cadres_from_post(request), room=_room_from_post(request), reason=request.POST.get("reason", ""),
                via=Via.from_request(request))
        except (DomainError, ValueError) as e:
            messages.error(request, getattr(e, "message", str(e)))
        else:
            messages.success(request, _("Quarantine order started: %(start)s to %(end)s.") % {"start": order.start_date, "end": order.end_date})
            return redirect("quarantine:order", order.uid)
    return render(request, "quarantine/order_form.html", {"person": person, "values": values, **_order_form_context(request, person)})


@require_POST
def key_person_change(request, uid):
    """Change the category (with a reason) or transfer the person out."""
    person = selectors.access_key_person(actor=request.user, uid=uid)
    via = Via.from_request(request)
    try:
        if request.POST.get("action") == "transfer":
            services.key_person_transfer_out(actor=request.user, key_person=person, reason=request.POST.get("reason", ""), via=via)
            messages.success(request, _("The file is closed: transferred out."))
        else:
            services.key_person_recategorise(actor=request.user, key_person=person, category=request.POST.get("category", ""),
                                             reason=request.POST.get("reason", ""), via=via)
            messages.success(request, _("Category changed."))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("quarantine:key_person", person.uid)


# --- orders ---------------------------------------------------------------------------------

def order_list(request):
    filters = _filters(request, "status", "kind", "org", "mine")
    filters["status"] = request.GET.get("status", QuarantineOrder.Status.ACTIVE)
    org = org_param(request)
    orders = selectors.order_list(actor=request.user, org=org, status=filters["status"], kind=filters["kind"],
                                  mine=bool(filters["mine"]))
    return _list_page(request, object_type="quarantine_order", queryset=orders, columns=ORDER_COLUMNS, name=_("quarantine orders"),
                      template="quarantine/order_list.html", filters=filters, context={
                          "org_unit": org, "kinds": OrderKind.choices, "statuses": QuarantineOrder.Status.choices})


def order_detail(request, uid):
    order = selectors.access_order(actor=request.user, uid=uid)
    audit_view(actor=request.user, record=order, object_type="quarantine_order", via=Via.from_request(request))
    today = clock.today()
    return render(request, "quarantine/order_detail.html", {
        "order": order, "cadres": order.cadres.select_related("user"), "today": today,
        "day_number": min(max(order.day_number(today), 0), order.days),
        "checks": selectors.order_checks(order=order)[:28], "extensions": order.extensions.select_related("actor"),
        "alerts": selectors.alert_list(actor=request.user).filter(order=order),
        "spot_checks": selectors.spot_check_list(actor=request.user, order=order)[:20],
        "support": selectors.support_request_list(actor=request.user, order=order),
        "conditions": services.release_conditions(order=order) if order.is_active else [],
        "check_uid": uuid.uuid4(), "spot_uid": uuid.uuid4(), "support_uid": uuid.uuid4(),
        "symptoms": Symptom.choices, "methods": CheckMethod.choices, "slots": Slot.choices, "duties": Duty.choices,
        "schemes": Scheme.choices, "five_levels": FIVE_LEVELS, "cadre_values": _cadre_values(request, order.cadres.select_related("user")),
        "values": {"scheme": order.scheme},
        "support_kinds": SupportRequest.Kind.choices, "spot_results": SpotCheck.Result.choices,
    })


@require_POST
def order_action(request, uid, action: str):
    """The order page's forms: cadres, extend, release, end, notice signed, spot check, support."""
    order = selectors.access_order(actor=request.user, uid=uid)
    via, post = Via.from_request(request), request.POST
    try:
        if action == "cadres":
            services.order_cadres_assign(actor=request.user, order=order, scheme=post.get("scheme", ""), cadres=_cadres_from_post(request), via=via)
            messages.success(request, _("Responsible cadres saved."))
        elif action == "extend":
            services.quarantine_order_extend(actor=request.user, order=order, days=post.get("days"), reason=post.get("reason", ""), via=via)
            messages.success(request, _("Period extended."))
        elif action == "release":
            services.quarantine_order_release(actor=request.user, order=order, early=bool(post.get("early")), reason=post.get("reason", ""), via=via)
            messages.success(request, _("Released."))
        elif action == "end":
            services.quarantine_order_end(actor=request.user, order=order, status=post.get("status", ""), reason=post.get("reason", ""), via=via)
            messages.success(request, _("The order has ended."))
        elif action == "notice-signed":
            services.notice_mark_signed(actor=request.user, order=order, via=via)
            messages.success(request, _("The notice is marked signed."))
        elif action == "spot-check":
            _spot, created = services.spot_check_record(actor=request.user, order=order, uid=_uid(post), result=post.get("result", ""),
                                                        note=post.get("note", ""), via=via)
            messages.success(request, _("Spot check recorded.") if created else _("This spot check was already recorded."))
        elif action == "support":
            _item, created = services.support_request_open(actor=request.user, order=order, uid=_uid(post), kind=post.get("kind", ""),
                                                           detail=post.get("detail", ""), via=via)
            messages.success(request, _("Request recorded.") if created else _("This request was already recorded."))
        else:
            return HttpResponse(status=404)
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("quarantine:order", order.uid)


def _uid(post) -> uuid.UUID | None:
    try:
        return uuid.UUID(post.get("uid", ""))
    except ValueError:
        return None


def notice_pdf(request, uid):
    """The medical observation notice as PDF, to print and sign at the door."""
    from .notice import notice_pdf as render_notice

    order = selectors.access_order(actor=request.user, uid=uid)
    try:
        pdf = render_notice(order=order)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("quarantine:order", order.uid)
    audit_view(actor=request.user, record=order, object_type="quarantine_order", via=Via.from_request(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{order.start_date}.pdf"'
    return response


# --- health checks and today's follow-ups ---------------------------------------------------

def check_record(request, uid):
    """Record one check: the phone form at the door. On htmx, answer with the follow-up row."""
    order = selectors.access_order(actor=request.user, uid=uid)
    post = request.POST if request.method == "POST" else None
    error = None
    if post is not None:
        try:
            checked_at = _checked_at(post)
            check, created = services.health_check_record(
                actor=request.user, order=order, uid=_uid(post), temperature=post.get("temperature", ""),
                symptoms=post.getlist("symptoms"), symptom_note=post.get("symptom_note", ""), method=post.get("method", CheckMethod.DOOR),
                measured_by_name=post.get("measured_by_name", ""), checked_at=checked_at, slot=post.get("slot", ""),
                via=Via.from_request(request))
        except DomainError as e:
            error = e
        else:
            if request.htmx:
                return _followup_row(request, order)
            text = _("Check recorded: %(t)s °C.") % {"t": check.temperature} if created else _("This check was already recorded.")
            if check.is_abnormal:
                messages.warning(request, text + " " + _("An alert went to the responsible cadres, the community and the district office."))
            else:
                messages.success(request, text)
            return redirect(post.get("next") or "quarantine:follow_ups")
        if request.htmx:
            return _followup_row(request, order, error=error, values=post)
    return render(request, "quarantine/check_form.html", {
        "order": order, "error": error, "values": {**post.dict(), "symptoms_list": post.getlist("symptoms")} if post else {},
        "uid": (post or {}).get("uid") or uuid.uuid4(),
        "symptoms": Symptom.choices, "methods": CheckMethod.choices, "slots": Slot.choices,
        "next": request.GET.get("next", "") or (post or {}).get("next", ""),
    }, status=400 if error else 200)


def _checked_at(post) -> dt.datetime | None:
    """An optional time typed for a check entered afterwards (today's date)."""
    raw = post.get("checked_time", "").strip()
    if not raw:
        return None
    parsed = parse_time(raw)
    if parsed is None:
        raise DomainError(_("Enter the time as HH:MM."), field="checked_time")
    return timezone.make_aware(dt.datetime.combine(clock.today(), parsed))


def _followup_row(request, order, *, error=None, values=None):
    response = render(request, "quarantine/follow_ups.html#row", {
        "o": selectors.followup_row(order=order) or order, "error": error, "values": values or {}, "new_uid": uuid.uuid4()})
    if error is None:
        response["HX-Trigger"] = "check-recorded"
    return response


def _states():
    return [(s, selectors.State.LABELS[s]) for s in selectors.State.ORDER]


def follow_ups(request):
    """Today's checks per doctor, cadre, grid or community: overdue, due now, upcoming, done."""
    filters = _filters(request, "state", "org", "mine", "cadre")
    org = org_param(request)
    cadre = services.cadre_user_for(actor=request.user, username=filters["cadre"]) if filters["cadre"] else None
    rows, counts, day = selectors.followup_list(actor=request.user, org=org, mine=bool(filters["mine"]),
                                                cadre_user_id=cadre.pk if cadre else None, state=filters["state"])
    via = Via.from_request(request)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=via, object_type="quarantine_order", queryset=selectors.followup_rows(rows.iterator(chunk_size=2000), day),
                           columns=FOLLOWUP_COLUMNS, name=_("follow-ups"), personal=True, filters=filters)
    if request.htmx and request.GET.get("part") == "counts":  # refreshed after each check on the page
        return render(request, "quarantine/follow_ups.html#counts", {"counts": counts, "state": filters["state"], "org_unit": org,
                                                                      "mine": filters["mine"], "states": _states()})
    page = selectors.followup_page(rows, counts, day, number=request.GET.get("page"), state=filters["state"])
    query = request.GET.copy()
    query.pop("page", None)
    query = query.urlencode()
    audit_list_view(actor=request.user, object_type="quarantine_order", via=via, filters=filters, page=page.number)
    node = org or request.user.jurisdiction
    children = list(core_selectors.org_unit_children(actor=request.user, org_unit=node)) if node and not filters["mine"] else []
    context = {
        "page_obj": page, "rows": list(selectors.followup_rows(page.object_list, day)), "query": query, "counts": counts, "day": day,
        "org_unit": org, "breakdown": selectors.followup_breakdown(actor=request.user, org=node, children=children, day=day) if children else [],
        "states": _states(), "new_uid": uuid.uuid4(), "windows": day.windows, **filters,
    }
    return render(request, "quarantine/follow_ups.html", context)


# --- alerts ---------------------------------------------------------------------------------

def alert_list(request):
    filters = _filters(request, "status", "kind", "org", "mine")
    filters["status"] = request.GET.get("status", "unclosed")
    org = org_param(request)
    alerts = selectors.alert_list(actor=request.user, org=org, status=filters["status"], kind=filters["kind"],
                                  mine=bool(filters["mine"]))
    return _list_page(request, object_type="alert", queryset=alerts, columns=ALERT_COLUMNS, name=_("alerts"),
                      template="quarantine/alert_list.html", filters=filters, context={
                          "org_unit": org, "kinds": Alert.Kind.choices, "dispositions": Alert.Disposition.choices,
                          "statuses": [("unclosed", _("Not closed")), *Alert.Status.choices]})


@require_POST
def alert_action(request, uid, action: str):
    alert = selectors.access_alert(actor=request.user, uid=uid)
    via = Via.from_request(request)
    try:
        if action == "acknowledge":
            services.alert_acknowledge(actor=request.user, alert=alert, via=via)
            messages.success(request, _("Alert acknowledged."))
        elif action == "close":
            services.alert_close(actor=request.user, alert=alert, disposition=request.POST.get("disposition", ""),
                                 outcome=request.POST.get("outcome", ""), via=via)
            messages.success(request, _("Alert closed."))
        else:
            return HttpResponse(status=404)
    except DomainError as e:
        messages.error(request, e.message)
    return redirect(request.POST.get("next") or "quarantine:alerts")


# --- living support -------------------------------------------------------------------------

def support_list(request):
    filters = _filters(request, "status", "org", "mine")
    filters["status"] = request.GET.get("status", SupportRequest.Status.OPEN)
    org = org_param(request)
    items = selectors.support_request_list(actor=request.user, org=org, status=filters["status"], mine=bool(filters["mine"]))
    return _list_page(request, object_type="support_request", queryset=items, columns=SUPPORT_COLUMNS, name=_("living support"),
                      template="quarantine/support_list.html", filters=filters, context={
                          "org_unit": org, "statuses": SupportRequest.Status.choices})


@require_POST
def support_close(request, uid):
    item = selectors.access_support_request(actor=request.user, uid=uid)
    try:
        services.support_request_close(actor=request.user, request=item, status=request.POST.get("status", ""),
                                       fulfilled_by_name=request.POST.get("fulfilled_by_name", ""), note=request.POST.get("note", ""),
                                       via=Via.from_request(request))
        messages.success(request, _("Request updated."))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect(request.POST.get("next") or "quarantine:support")


# --- releases and timeliness ----------------------------------------------------------------

def release_list(request):
    until = parse_date(request.GET.get("until", "")) or clock.today()
    since = parse_date(request.GET.get("since", "")) or until - dt.timedelta(days=13)
    if since > until:
        since, until = until, since
    filters = {"org": request.GET.get("org", "").strip(), "since": since.isoformat(), "until": until.isoformat()}
    org = org_param(request)
    releases = selectors.release_list(actor=request.user, org=org, since=since, until=until)
    timeliness = selectors.timeliness(actor=request.user, org=org, since=since, until=until)
    context = {"org_unit": org, "stats": selectors.release_stats(releases=releases), "timeliness": timeliness,
               "timeliness_rows": [(_("Flagged → first quarantine order"), timeliness["flag_to_isolation"]),
                                   (_("Fever/symptom alert → acknowledged"), timeliness["alert_to_acknowledged"]),
                                   (_("Fever/symptom alert → disposition"), timeliness["alert_to_disposition"])]}
    return _list_page(request, object_type="quarantine_order", queryset=releases, columns=RELEASE_COLUMNS, name=_("releases"),
                      template="quarantine/release_list.html", filters=filters, context=context)


# --- policy ---------------------------------------------------------------------------------

def policy_edit(request):
    district = core_selectors.district_of(actor=request.user)
    policy = policy_for(district_id=district.pk)
    may_edit = has_capability(request.user, Capability.CONFIGURE) and request.user.jurisdiction_id == district.pk
    if request.method == "POST" and may_edit:
        post = request.POST
        try:
            times = {f: parse_time(post.get(f, "")) for f in ("morning_start", "morning_end", "afternoon_start", "afternoon_end")}
            if None in times.values():
                raise DomainError(_("Enter every time as HH:MM."), field="morning_start")
            services.quarantine_policy_update(
                actor=request.user, district=district, via=Via.from_request(request), **times,
                default_days=_int(post.get("default_days"), "default_days"),
                periods={c: _int(post.get(f"period_{c}"), f"period_{c}") for c in Category.values if post.get(f"period_{c}")},
                release_normal_checks=_int(post.get("release_normal_checks"), "release_normal_checks"),
                release_requires_all_checks=bool(post.get("release_requires_all_checks")))
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Quarantine policy saved."))
            return redirect("quarantine:policy")
    periods = [(value, label, policy.periods.get(value, "")) for value, label in Category.choices]
    return render(request, "quarantine/policy.html", {"policy": policy, "district": district, "may_edit": may_edit, "periods": periods})


def _int(raw, field: str) -> int:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number."), field=field)
