from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from lianfang.checkpoints.selectors import referral_open_count
from lianfang.core.roles import Capability, has_capability

register = template.Library()


@register.simple_tag(takes_context=True)
def checkpoints_nav_link(context) -> str:
    """The "Checkpoints" link of the navigation; for those who close fever referrals, with the
    number still open (one count over a partial index; nobody else pays for it)."""
    user = context["request"].user
    n = referral_open_count(actor=user) if has_capability(user, Capability.HANDLE_ALERTS) else 0
    link = format_html('<a href="{}">{}</a>', reverse("checkpoints:home"), _("Checkpoints"))
    if not n:
        return link
    # The badge goes where the referrals are, not to the gates.
    return format_html('{} <a class="badge err" id="referral-count" href="{}" title="{}">{}</a>', link,
                       reverse("checkpoints:referrals"), _("Open fever referrals"), n)
