"""The medical observation notice (医学观察告知书, seed 002): an A4 PDF the doctor hands over and
both sign at the door, stating the period, the rules and whom to call.

Rendered with WeasyPrint from templates/quarantine/notice_pdf.html, in Chinese by default
whatever the reader's interface language: it is a paper for the person under observation.
The WeasyPrint and CJK-font checks live in core/pdf.py, shared with the pass-card sheets."""

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.core.models import Level, OrgUnit, path_ids
from lianfang.core.pdf import PREFERRED_FAMILIES, cjk_font, font_missing, weasyprint_load  # noqa: F401  (tests patch cjk_font here)
from lianfang.core.pii import id_tail

from .models import Duty, OrderKind, QuarantineOrder
from .policy import policy_for

def _issuers(org_path: str) -> dict[str, OrgUnit]:
    """The street and community of the person's address: they issue the notice."""
    units = OrgUnit.objects.filter(pk__in=path_ids(org_path), level__in=[Level.STREET, Level.COMMUNITY])
    return {u.level: u for u in units}


DUTY_TASKS = {
    Duty.TOWN: lambda: _("answerable for the whole observation; arranges help"),
    Duty.VILLAGE: lambda: _("daily contact; buys groceries and medicine for you"),
    Duty.GROUP: lambda: _("watches the door; first person to call"),
    Duty.DOCTOR: lambda: _("takes your temperature twice a day; call about any symptom"),
    Duty.POLICE: lambda: _("checks that the observation is kept"),
}


def notice_context(order: QuarantineOrder) -> dict:
    order = (QuarantineOrder.objects.select_related("resident__household", "room__site", "notice_signed_by")
             .prefetch_related("cadres", "extensions").get(pk=order.pk))
    issuers = _issuers(order.org_path)
    policy = policy_for(district_id=order.district_id)
    cadres = [{"duty": c.get_duty_display(), "name": c.name, "phone": c.phone, "task": DUTY_TASKS[c.duty]() if c.duty in DUTY_TASKS else ""}
              for c in order.cadres.all()]
    extended = sum(e.days for e in order.extensions.all())
    return {
        "order": order,
        "resident": order.resident,
        "id_tail": id_tail(order.resident.id_number),
        "central": order.kind == OrderKind.CENTRAL,
        "home_observation": order.kind == OrderKind.HOME_OBSERVATION,
        "street": issuers.get(Level.STREET),
        "community": issuers.get(Level.COMMUNITY),
        "policy": policy,
        "cadres": cadres,
        "extended_days": extended,
        "reference": order.uid.hex[:8].upper(),
        "issued_on": timezone.localtime(order.created_at).date() if order.created_at else order.start_date,
        "signed_at": timezone.localtime(order.notice_signed_at) if order.notice_signed_at else None,
        "signed_by": order.notice_signed_by,
    }


def notice_html(*, order: QuarantineOrder, language: str = "zh-hans", font: str | None = None) -> str:
    with translation.override(language):
        context = notice_context(order)
        context["font"] = font or cjk_font() or "sans-serif"
        return render_to_string("quarantine/notice_pdf.html", context)


def notice_pdf(*, order: QuarantineOrder, language: str = "zh-hans") -> bytes:
    """The notice of `order` as PDF bytes (A4). Raises DomainError when the server cannot draw
    Chinese (no CJK font, no Pango), naming the Debian packages to install."""
    weasyprint = weasyprint_load()
    font = cjk_font()
    if font is None:
        raise font_missing()
    html = notice_html(order=order, language=language, font=font)
    return weasyprint.HTML(string=html).write_pdf()
