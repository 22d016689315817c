"""The gate's pages: recording at the gate (works without JS; gate.js adds the offline queue),
the passage ledger, figures and fever referrals. Thin: parse, access, call a service, render."""

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from lianfang.core import clock
from lianfang.core.audit import Via, audit_list_view
from lianfang.core.errors import DomainError
from lianfang.core.excel import Column
from lianfang.core.exports import export_list
from lianfang.core.pii import mask_id_number, mask_phone
from lianfang.core.roles import Role
from lianfang.core.views import org_param, paginate

from . import selectors, services
from .models import Direction, HealthCode, Outcome, Referral
from .plates import _PLATE

RECENT = 10



def _checkpoint(request):
    raw = request.GET.get("checkpoint", "").strip()
    if not raw:
        return None
    try:
        return selectors.access_checkpoint(actor=request.user, uid=uuid.UUID(raw))
    except ValueError:
        raise Http404


def _date(raw: str) -> dt.date | None:
    try:
        return parse_date((raw or "").strip())
    except ValueError:  # well formed but not a day (02-30)
        return None


def _yes_no(raw: str) -> bool | None:
    return {"yes": True, "no": False}.get(raw)


def home(request):
    """Checkpoint staff with one post go straight to their gate; everyone else to the list."""
    if request.user.role == Role.CHECKPOINT_STAFF:
        posts = list(selectors.visible_checkpoints(request.user).filter(is_active=True).values_list("uid", flat=True)[:2])
        if len(posts) == 1:
            return redirect("checkpoints:gate", posts[0])
    return redirect("checkpoints:list")


# --- the gate -------------------------------------------------------------------------------

IDENTITY_MODES = [("card", gettext_lazy("Scan card")), ("id_number", gettext_lazy("ID number")),
                  ("visitor", pgettext_lazy("passage", "Visitor"))]


def _draft_from_post(post, checkpoint) -> services.PassageDraft:
    """The form as the service takes it. Only the chosen identity's fields are sent, so a
    value left in a hidden group cannot make the record ambiguous."""
    mode = post.get("mode", "card")
    return services.PassageDraft(
        uid=post.get("uid", ""), checkpoint=checkpoint.uid, at=clock.now(), direction=post.get("direction", ""),
        card=post.get("card", "") if mode == "card" else "",
        id_number=post.get("id_number", "") if mode == "id_number" else "",
        name=post.get("name", "") if mode in ("id_number", "visitor") else "",
        phone=post.get("phone", "") if mode in ("id_number", "visitor") else "",
        temperature=post.get("temperature", "").strip() or None, mask=_yes_no(post.get("mask", "")),
        health_code=post.get("health_code", ""), plate=post.get("plate", ""), disinfected=_yes_no(post.get("disinfected", "")),
        purpose=post.get("purpose", ""), outcome=post.get("outcome", Outcome.PASSED) or Outcome.PASSED,
        turn_back_reason=post.get("turn_back_reason", ""))


def gate(request, uid):
    """The phone at the gate. A plain POST records one passage (idempotent by the uid minted
    when the form was rendered); gate.js instead queues records and sends them in batches."""
    checkpoint = selectors.access_checkpoint(actor=request.user, uid=uid)
    result, error, status = None, None, 200
    values = {"direction": Direction.IN, "mode": "card", "outcome": Outcome.PASSED}
    if request.method == "POST":
        try:
            result = services.passage_record(actor=request.user, draft=_draft_from_post(request.POST, checkpoint),
                                             via=Via.from_request(request))
        except DomainError as e:
            error, status = e, 400
            values = request.POST.dict()
        else:
            # The next person at this gate most likely goes the same way, identified the same way.
            values.update(direction=request.POST.get("direction", Direction.IN), mode=request.POST.get("mode", "card"))
    form_uid = values.get("uid") if error else None
    return render(request, "checkpoints/gate.html", {
        "checkpoint": checkpoint, "result": result, "error": error, "values": values, "form_uid": form_uid or uuid.uuid4(),
        "recent": selectors.passage_list(actor=request.user, checkpoint=checkpoint)[:RECENT],
        "shift": selectors.shift_now(checkpoint=checkpoint),
        "modes": IDENTITY_MODES, "directions": Direction.choices, "health_codes": HealthCode.choices, "outcomes": Outcome.choices,
        "plate_pattern": _PLATE.pattern, "decode_url": reverse("api:card_decode"), "strings": _gate_strings(),
    }, status=status)


def _gate_strings() -> dict:
    """What gate.js says, translated here. The checks repeat the server's own messages."""
    return {
        "online": _("Online"), "offline": _("Offline: records are kept on this phone"), "never": _("never"),
        "sending": _("Sending…"), "queued": _("Saved on this phone; it will be sent."),
        "stop": _("STOP"), "refer": _("Fever clinic"), "already": _("This record was already stored; it was not stored again."),
        "discard": _("Discard"), "fix": _("Fix in the form"), "confirm_discard": _("Discard this record? It was never stored."),
        "login": _("Your login has expired: log in again in another tab. The records are kept on this phone."),
        "server": _("The server did not answer (%(status)s); the records are kept and sent again."),
        "exit_blocked": _("Exit blocked (under quarantine)"), "members": _("Members"), "card": _("Card"),
        "decode_failed": _("No code found in the photo. Try again closer, or type the number."),
        "camera_failed": _("The camera could not be opened."),
        "temp_required": _("Take the temperature of everyone coming in."),
        "temp_number": _("Enter the temperature as a number, e.g. 36.5."),
        "temp_guess": _("%(value)s °C is not a body temperature. Did you mean %(guess)s?"),
        "temp_range": _("A body temperature is between 34.0 and 43.0 °C."),
        "plate": _("%(plate)s is not a vehicle plate. A plate looks like 京A12345 (new-energy: 京AD12345)."),
        "identity": _("Scan a pass card, type an ID number, or write a visitor's name and phone."),
        "card_missing": _("Scan or type the pass card's code."),
        "id_missing": _("Type the ID number."),
        "phone": _("A visitor's phone is required (一人一登记)."),
        "reason": _("Say why the person was turned back."),
        "direction": _("Choose in or out."),
        "outcomes": dict(Outcome.choices), "directions": dict(Direction.choices),
    }


def service_worker(request):
    """gate.js's service worker, served under /checkpoints/ so that its scope covers the gate
    pages (a script under /static/ could only control /static/)."""
    path = finders.find("checkpoints/sw.js")
    if path is None:
        raise Http404
    response = FileResponse(open(path, "rb"), content_type="text/javascript")
    response["Service-Worker-Allowed"] = reverse("checkpoints:home")
    response["Cache-Control"] = "no-cache"
    return response


# --- the ledger -----------------------------------------------------------------------------

def _yes_no_label(value: bool | None) -> str:
    return "" if value is None else str(_("yes") if value else _("no"))


PASSAGE_COLUMNS = [
    Column(gettext_lazy("Time"), lambda p: p.at, 16),
    Column(gettext_lazy("Checkpoint"), lambda p: p.checkpoint.name, 14),
    Column(gettext_lazy("Direction"), lambda p: p.get_direction_display(), 6),
    Column(gettext_lazy("Identified by"), lambda p: p.get_subject_display(), 12),
    Column(gettext_lazy("Name"), lambda p: p.name, 12),
    Column(gettext_lazy("ID number"), lambda p: mask_id_number(p.id_number), 20),
    Column(gettext_lazy("Phone"), lambda p: mask_phone(p.phone), 14),
    Column(pgettext_lazy("passage", "Visitor"), lambda p: _yes_no_label(p.is_visitor), 6),
    Column(gettext_lazy("Temperature (°C)"), lambda p: float(p.temperature) if p.temperature is not None else None, 8),
    Column(gettext_lazy("Mask"), lambda p: _yes_no_label(p.mask), 6),
    Column(gettext_lazy("Health code"), lambda p: p.get_health_code_display(), 8),
    Column(gettext_lazy("Vehicle plate"), lambda p: p.plate, 10),
    Column(gettext_lazy("Vehicle disinfected"), lambda p: _yes_no_label(p.disinfected), 8),
    Column(gettext_lazy("Purpose"), lambda p: p.purpose, 20),
    Column(gettext_lazy("Outcome"), lambda p: p.get_outcome_display(), 12),
    Column(gettext_lazy("Reason turned back"), lambda p: p.turn_back_reason, 24),
    Column(gettext_lazy("Fever"), lambda p: _yes_no_label(p.is_fever), 6),
    Column(gettext_lazy("Quarantine breach"), lambda p: _yes_no_label(p.is_breach), 8),
    Column(gettext_lazy("Recorded by"), lambda p: str(p.recorded_by or ""), 12),
]

_LEDGER_FILTERS = ("checkpoint", "org", "since", "until", "direction", "outcome", "visitors", "breaches", "q")


def passage_ledger(request):
    """实名登记台账: every passage the actor may see, masked; reading and exporting are audited."""
    filters = {n: request.GET.get(n, "").strip() for n in _LEDGER_FILTERS}
    checkpoint, org = _checkpoint(request), org_param(request)
    passages = selectors.passage_list(
        actor=request.user, checkpoint=checkpoint, org=org, since=_date(filters["since"]),
        until=_date(filters["until"]), direction=filters["direction"], outcome=filters["outcome"],
        visitors=bool(filters["visitors"]), breaches=bool(filters["breaches"]), q=filters["q"])
    via = Via.from_request(request)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=via, object_type="passage_ledger", queryset=passages, columns=PASSAGE_COLUMNS,
                           name=_("passage ledger"), personal=True, filters=filters)
    page, query = paginate(request, passages)
    audit_list_view(actor=request.user, object_type="passage_ledger", via=via, filters=filters, page=page.number)
    return render(request, "checkpoints/passage_list.html", {
        "page_obj": page, "query": query, "org_unit": org, "checkpoint": checkpoint, **filters,
        "checkpoints": selectors.visible_checkpoints(request.user).order_by("name"),
        "directions": Direction.choices, "outcomes": Outcome.choices, "tab": "passages",
    })


# --- figures --------------------------------------------------------------------------------

FIGURE_COLUMNS = [
    Column(gettext_lazy("Day"), lambda r: r["day"], 11),
    Column(gettext_lazy("Checkpoint"), lambda r: r["checkpoint"].name, 16),
    Column(pgettext_lazy("org unit", "Unit"), lambda r: r["checkpoint"].org.name, 16),
    Column(gettext_lazy("In"), lambda r: r["inbound"], 8),
    Column(gettext_lazy("Out"), lambda r: r["outbound"], 8),
    Column(pgettext_lazy("passage", "Visitors"), lambda r: r["visitors"], 8),
    Column(gettext_lazy("Turned back"), lambda r: r["turned_back"], 8),
    Column(gettext_lazy("Referred"), lambda r: r["referred"], 8),
    Column(gettext_lazy("Breaches"), lambda r: r["breaches"], 8),
    Column(gettext_lazy("Vehicles"), lambda r: r["vehicles"], 8),
]


def figures(request):
    """Passages per day, per community and per gate, and the busiest hours."""
    checkpoint, org = _checkpoint(request), org_param(request)
    error = None
    try:
        since, until = selectors.figures_period(since=_date(request.GET.get("since", "")), until=_date(request.GET.get("until", "")))
    except DomainError as e:
        error = e
        until = clock.today()
        since = until - dt.timedelta(days=6)
    result = selectors.passage_figures(actor=request.user, since=since, until=until, org=org, checkpoint=checkpoint)
    if request.GET.get("format") == "xlsx" and error is None:
        return export_list(actor=request.user, via=Via.from_request(request), object_type="passage_figures",
                           queryset=result.by_checkpoint_day, columns=FIGURE_COLUMNS, name=_("passages per checkpoint and day"),
                           personal=False, filters={"since": since, "until": until, "org": org.code if org else "",
                                                    "checkpoint": checkpoint.uid if checkpoint else ""})
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "checkpoints/figures.html", {
        "figures": result, "since": since, "until": until, "org_unit": org, "checkpoint": checkpoint, "error": error,
        "checkpoints": selectors.visible_checkpoints(request.user).order_by("name"), "query": query.urlencode(),
        "hours": {"x": [f"{h:02d}" for h in range(24)], "y": result.hours}, "tab": "figures",
    }, status=400 if error else 200)


# --- referrals ------------------------------------------------------------------------------

REFERRAL_COLUMNS = [
    Column(gettext_lazy("Raised"), lambda r: r.raised_at, 16),
    Column(gettext_lazy("Checkpoint"), lambda r: r.passage.checkpoint.name, 14),
    Column(gettext_lazy("Name"), lambda r: r.passage.name, 12),
    Column(gettext_lazy("ID number"), lambda r: mask_id_number(r.passage.id_number), 20),
    Column(gettext_lazy("Phone"), lambda r: mask_phone(r.passage.phone), 14),
    Column(gettext_lazy("Temperature (°C)"), lambda r: float(r.passage.temperature) if r.passage.temperature is not None else None, 8),
    Column(gettext_lazy("Reasons"), lambda r: "、".join(r.reason_labels()), 16),
    Column(gettext_lazy("Status"), lambda r: r.get_status_display(), 8),
    Column(gettext_lazy("Acknowledged"), lambda r: r.acknowledged_at, 16),
    Column(gettext_lazy("Closed"), lambda r: r.closed_at, 16),
    Column(gettext_lazy("Disposition"), lambda r: r.get_disposition_display(), 16),
    Column(gettext_lazy("Result"), lambda r: r.outcome, 24),
]


def referral_list(request):
    """Fever and health-code referrals from the gates: open ones first, then by time."""
    status = request.GET.get("status", "").strip()
    org = org_param(request)
    referrals = selectors.referral_list(actor=request.user, org=org, status=status).select_related("acknowledged_by", "closed_by")
    filters = {"status": status, "org": org.code if org else ""}
    via = Via.from_request(request)
    if request.GET.get("format") == "xlsx":
        return export_list(actor=request.user, via=via, object_type="referral", queryset=referrals, columns=REFERRAL_COLUMNS,
                           name=_("fever referrals"), personal=True, filters=filters)
    page, query = paginate(request, referrals)
    audit_list_view(actor=request.user, object_type="referral", via=via, filters=filters, page=page.number)
    return render(request, "checkpoints/referral_list.html", {
        "page_obj": page, "query": query, "org_unit": org, "status": status, "statuses": Referral.Status.choices,
        "dispositions": Referral.Disposition.choices, "tab": "referrals",
    })


@require_POST
def referral_action(request, uid, action: str):
    referral = selectors.access_referral(actor=request.user, uid=uid)
    via = Via.from_request(request)
    try:
        if action == "acknowledge":
            services.referral_acknowledge(actor=request.user, referral=referral, via=via)
            messages.success(request, _("Referral acknowledged."))
        elif action == "close":
            services.referral_close(actor=request.user, referral=referral, disposition=request.POST.get("disposition", ""),
                                    outcome=request.POST.get("outcome", ""), via=via)
            messages.success(request, _("Referral closed."))
        else:
            return HttpResponse(status=404)
    except DomainError as e:
        messages.error(request, e.message)
    next_url = request.POST.get("next", "")
    return redirect(next_url if next_url.startswith("/") and not next_url.startswith("//") else "checkpoints:referrals")
