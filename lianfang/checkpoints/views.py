"""Management pages of checkpoints: the gates, their rosters, who is on duty now, pass cards
and their printable sheets. Recording at the gate is in gate_views (gate_urls)."""

import datetime as dt

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core import clock
from lianfang.core import selectors as core_selectors
from lianfang.core.audit import Via, audit_view
from lianfang.core.errors import DomainError
from lianfang.core.roles import Capability, has_capability
from lianfang.core.services import require
from lianfang.core.views import form_error, org_param, paginate
from lianfang.registry import selectors as registry_selectors

from . import exports, selectors, services, tokens
from .cards_pdf import card_sheet_pdf, qr_svg
from .forms import (
    CARD_LEVELS, AssignForm, CardIssueForm, CardsForForm, CheckpointForm, HandoverForm, ReasonForm, checkpoint_initial, unit_choices,
)
from .models import CheckpointKind, PassCard



def _can_manage(request) -> bool:
    return has_capability(request.user, Capability.MANAGE_CHECKPOINTS)


# --- checkpoints ----------------------------------------------------------------------------

def checkpoint_list(request):
    actor = request.user
    org, kind, q = org_param(request), request.GET.get("kind", ""), request.GET.get("q", "").strip()
    kind = kind if kind in CheckpointKind.values else ""
    gates = selectors.checkpoint_list(actor=actor, org=org, kind=kind, q=q).prefetch_related("staff")
    if request.GET.get("format") == "xlsx":
        rows = [(row.checkpoint, _names_if_in_service(row)) for row in selectors.duty_now(checkpoints=gates)]
        return exports.checkpoint_list_export(actor=actor, rows=rows, via=Via.from_request(request),
                                              filters={"org": org.code if org else "", "kind": kind, "q": q})
    page, query = paginate(request, gates)
    for row in selectors.duty_now(checkpoints=page):  # only the gates on this page
        row.checkpoint.on_duty = _names_if_in_service(row)
    return render(request, "checkpoints/checkpoint_list.html", {
        "page_obj": page, "query": query, "org": org, "kind": kind, "q": q, "kinds": CheckpointKind.choices,
        "units": unit_choices(actor, [*CARD_LEVELS]), "can_manage": _can_manage(request), "tab": "list",
    })


def _names_if_in_service(row) -> list[str] | None:
    """Names on duty now ([] a gap); None for a gate out of service, which needs nobody."""
    return row.names if row.checkpoint.is_active else None


def checkpoint_create(request):
    require(request.user, Capability.MANAGE_CHECKPOINTS)
    form = CheckpointForm(request.POST or None, actor=request.user, initial={"org": request.GET.get("org", "")})
    if request.method == "POST" and form.is_valid():
        try:
            org = core_selectors.access_org_unit(actor=request.user, code=form.cleaned_data["org"])
            checkpoint = services.checkpoint_create(actor=request.user, org=org, via=Via.from_request(request), **form.checkpoint_fields())
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Checkpoint %(name)s set up. Now post its staff and plan the roster.") % {"name": checkpoint.name})
            return redirect("checkpoints:detail", uid=checkpoint.uid)
    return render(request, "checkpoints/checkpoint_form.html", {"form": form}, status=400 if form.is_bound else 200)


def checkpoint_edit(request, uid):
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=uid)
    require(request.user, Capability.MANAGE_CHECKPOINTS)
    form = CheckpointForm(request.POST or None, actor=request.user, checkpoint=checkpoint, initial=checkpoint_initial(checkpoint))
    if request.method == "POST" and form.is_valid():
        via = Via.from_request(request)
        try:
            # Both or neither: the staff posting and the gate's facts are one save.
            with transaction.atomic():
                services.checkpoint_update(actor=request.user, checkpoint=checkpoint, via=via, **form.checkpoint_fields())
                services.checkpoint_staff_set(actor=request.user, checkpoint=checkpoint, users=form.staff_chosen(), via=via)
        except DomainError as e:
            checkpoint.refresh_from_db()
            form_error(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("checkpoints:detail", uid=checkpoint.uid)
    return render(request, "checkpoints/checkpoint_form.html", {"form": form, "checkpoint": checkpoint},
                  status=400 if form.is_bound else 200)


def checkpoint_detail(request, uid):
    actor = request.user
    checkpoint = selectors.access_checkpoint(actor=actor, uid=uid)
    now_shift = selectors.shift_now(checkpoint=checkpoint)
    previous = selectors.shift_previous(shift=now_shift) if now_shift else None
    return render(request, "checkpoints/checkpoint_detail.html", {
        "checkpoint": checkpoint, "now_shift": now_shift, "previous": previous,
        "on_duty": list(now_shift.assignments.all()) if now_shift else [],
        "exits": list(selectors.circle_exits(actor=actor, org=checkpoint.org)),
        "staff": list(checkpoint.staff.all()), "can_manage": _can_manage(request),
        "can_reveal": has_capability(actor, Capability.REVEAL_PII), "open_now": checkpoint.is_open_at(timezone.localtime(clock.now()).time()),
    })


# --- rosters --------------------------------------------------------------------------------

def _since(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("since", "") or request.POST.get("since", ""))
    except ValueError:
        return clock.today()


def _roster_url(checkpoint, since: dt.date) -> str:
    return f"{reverse('checkpoints:roster', args=[checkpoint.uid])}?{urlencode({'since': since.isoformat()})}"


def roster(request, uid, failed=None):
    """A week of shifts, day by day. `failed`: (shift uid, bound form) re-shown with its error."""
    actor = request.user
    checkpoint = selectors.access_checkpoint(actor=actor, uid=uid)
    since = _since(request)
    until = since + dt.timedelta(days=6)
    shifts = list(selectors.shift_list(actor=actor, checkpoint=checkpoint, since=since, until=until))
    if request.GET.get("format") == "xlsx":
        return exports.roster_export(actor=actor, checkpoint=checkpoint, shifts=shifts, via=Via.from_request(request),
                                     filters={"checkpoint": str(checkpoint.uid), "since": since.isoformat()})
    now = clock.now()
    before = selectors.shift_previous(shift=shifts[0]) if shifts else None
    days: dict[dt.date, list] = {since + dt.timedelta(days=i): [] for i in range(7)}
    for shift in shifts:
        shift.people = list(shift.assignments.all())
        shift.is_now = shift.starts_at <= now < shift.ends_at
        shift.is_past = shift.ends_at <= now
        # The note the outgoing shift left for this one.
        shift.incoming_note = before.handover_note if before else ""
        before = shift
        days.setdefault(timezone.localtime(shift.starts_at).date(), []).append(shift)
    return render(request, "checkpoints/roster.html", {
        "checkpoint": checkpoint, "since": since, "until": until, "days": list(days.items()), "today": clock.today(),
        "previous_week": since - dt.timedelta(days=7), "next_week": since + dt.timedelta(days=7),
        "can_manage": _can_manage(request), "can_reveal": has_capability(actor, Capability.REVEAL_PII),
        "assign_form": AssignForm(checkpoint=checkpoint), "failed_shift": failed[0] if failed else None,
        "failed_form": failed[1] if failed else None, "handover_form": HandoverForm(auto_id=False),
        "export_query": urlencode({"since": since.isoformat(), "format": "xlsx"}),
    }, status=400 if failed else 200)


@require_POST
def roster_plan(request, uid):
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=uid)
    since = _since(request)
    try:
        new = services.shifts_plan(actor=request.user, checkpoint=checkpoint, start=since, days=7, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("%(n)d shifts planned.") % {"n": len(new)} if new else _("These days were planned already."))
    return redirect(_roster_url(checkpoint, since))


@require_POST
def duty_assign(request, uid):
    shift = selectors.access_shift(actor=request.user, uid=uid)
    since = _since(request)
    form = AssignForm(request.POST, checkpoint=shift.checkpoint)
    if form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.duty_assign(actor=request.user, shift=shift, name=data["name"], phone=data["phone"], kind=data["kind"],
                                              user=form.user_chosen(), via=Via.from_request(request))
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("%(name)s is on the shift of %(time)s.") % {
                "name": assignment.name, "time": timezone.localtime(shift.starts_at).strftime("%m-%d %H:%M")})
            return redirect(_roster_url(shift.checkpoint, since))
    return roster(request, shift.checkpoint.uid, failed=(shift.uid, form))


@require_POST
def duty_unassign(request, uid):
    shift = selectors.access_shift(actor=request.user, uid=uid)
    # By name (unique on a shift): no row ids of people in pages.
    assignment = get_object_or_404(shift.assignments, name=request.POST.get("name", ""))
    try:
        services.duty_unassign(actor=request.user, assignment=assignment, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("%(name)s removed from the shift.") % {"name": assignment.name})
    return redirect(_roster_url(shift.checkpoint, _since(request)))


@require_POST
def handover(request, uid):
    shift = selectors.access_shift(actor=request.user, uid=uid)
    form = HandoverForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("Write the handover note."), field="note")
        services.handover_record(actor=request.user, shift=shift, note=form.cleaned_data["note"], via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Handover note saved; the next shift sees it."))
    return redirect(_roster_url(shift.checkpoint, _since(request)))


def duty_board(request):
    actor = request.user
    org = org_param(request)
    rows = selectors.duty_board(actor=actor, org=org)
    if request.GET.get("format") == "xlsx":
        return exports.duty_board_export(actor=actor, rows=rows, via=Via.from_request(request), filters={"org": org.code if org else ""})
    page, query = paginate(request, rows, per_page=100)
    return render(request, "checkpoints/duty_board.html", {
        "page_obj": page, "query": query, "org": org, "gaps": sum(r.is_gap for r in rows), "total": len(rows),
        "units": unit_choices(actor, CARD_LEVELS), "can_reveal": has_capability(actor, Capability.REVEAL_PII), "tab": "duty",
    })


# --- pass cards -----------------------------------------------------------------------------

def card_list(request):
    actor = request.user
    org, status, q = org_param(request), request.GET.get("status", ""), request.GET.get("q", "").strip()
    status = status if status in PassCard.Status.values else ""
    cards = selectors.pass_card_list(actor=actor, org=org, status=status, q=q)
    filters = {"org": org.code if org else "", "status": status, "q": q}
    if request.GET.get("format") == "xlsx":
        return exports.card_list_export(actor=actor, cards=cards, via=Via.from_request(request), filters=filters)
    page, query = paginate(request, cards)
    can_manage = _can_manage(request)
    without_card = None
    if org is not None and can_manage:
        # The unit's households without a valid household card, to issue one by one.
        have = selectors.pass_card_list(actor=actor, org=org, status=PassCard.Status.ACTIVE).filter(resident__isnull=True)
        without_card = registry_selectors.household_list(actor=actor, org=org).exclude(pk__in=have.values("household_id"))[:50]
    return render(request, "checkpoints/card_list.html", {
        "page_obj": page, "query": query, "org": org, "status": status, "q": q, "statuses": PassCard.Status.choices,
        "units": unit_choices(actor, CARD_LEVELS), "can_manage": can_manage, "without_card": without_card,
        "issue_form": CardIssueForm(), "bulk_form": CardsForForm(actor=actor, initial={"org": org.code if org else ""}) if can_manage else None,
        "tab": "cards",
    })


def _cards_url(org_code: str = "") -> str:
    url = reverse("checkpoints:cards")
    return f"{url}?{urlencode({'org': org_code})}" if org_code else url


@require_POST
def card_issue(request):
    form = CardIssueForm(request.POST)
    back = _cards_url(request.POST.get("org", ""))
    if not form.is_valid():
        messages.error(request, _("Give the household's id."))
        return redirect(back)
    household = registry_selectors.access_household(actor=request.user, uid=form.cleaned_data["household"])
    try:
        card = services.pass_card_issue(actor=request.user, household=household, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
        return redirect(back)
    messages.success(request, _("Card %(number)s issued to %(address)s.") % {"number": card.number, "address": household.address})
    return redirect("checkpoints:card_detail", uid=card.uid)


@require_POST
def cards_issue_for(request):
    form = CardsForForm(request.POST, actor=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose the unit."))
        return redirect("checkpoints:cards")
    org = core_selectors.access_org_unit(actor=request.user, code=form.cleaned_data["org"])
    try:
        n = services.pass_cards_issue_for(actor=request.user, org=org, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("%(n)d cards issued under %(org)s.") % {"n": n, "org": org.name} if n
                         else _("Every household under %(org)s has a valid card already.") % {"org": org.name})
    return redirect(_cards_url(org.code))


def card_detail(request, uid, reason_form=None):
    actor = request.user
    card = selectors.access_pass_card(actor=actor, uid=uid)
    can_manage = _can_manage(request)
    # The QR is the credential itself: shown to those who issue and print cards, and audited.
    qr = qr_svg(tokens.card_code(card.token)) if can_manage and card.is_active else None
    if qr:
        audit_view(actor=actor, record=card, object_type="pass_card", via=Via.from_request(request))
    return render(request, "checkpoints/card_detail.html", {
        "card": card, "qr": qr, "can_manage": can_manage, "reason_form": reason_form or ReasonForm(),
        "replaced_by": getattr(card, "replaced_by", None) if not card.is_active else None,
    }, status=400 if reason_form is not None else 200)


@require_POST
def card_change(request, uid):
    """Revoke (`action=revoke`) or reissue (`action=reissue`) with a reason."""
    card = selectors.access_pass_card(actor=request.user, uid=uid)
    form = ReasonForm(request.POST)
    if form.is_valid():
        via = Via.from_request(request)
        try:
            if request.POST.get("action") == "reissue":
                new = services.pass_card_reissue(actor=request.user, card=card, reason=form.cleaned_data["reason"], via=via)
                messages.success(request, _("Card %(old)s revoked; the replacement is %(new)s.") % {"old": card.number, "new": new.number})
                return redirect("checkpoints:card_detail", uid=new.uid)
            services.pass_card_revoke(actor=request.user, card=card, reason=form.cleaned_data["reason"], via=via)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Card %(number)s revoked; it no longer opens the gate.") % {"number": card.number})
            return redirect("checkpoints:card_detail", uid=card.uid)
    return card_detail(request, uid, reason_form=form)


def card_sheet(request):
    """`?org=CODE`: every valid card under the unit; `?card=UID`: that one card (a reissue)."""
    card = selectors.access_pass_card(actor=request.user, uid=request.GET["card"]) if request.GET.get("card") else None
    org = card.household.org if card else org_param(request)
    if org is None:
        messages.error(request, _("Choose the unit whose cards to print."))
        return redirect("checkpoints:cards")
    try:
        pdf = card_sheet_pdf(actor=request.user, org=org, card=card, via=Via.from_request(request))
    except DomainError as e:
        messages.error(request, e.message)
        return redirect(_cards_url(org.code))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pass-cards-{org.code}.pdf"'
    return response
