from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from lianfang.core.roles import Capability, has_capability
from lianfang.reporting.selectors import reports_due_count

register = template.Library()


@register.simple_tag(takes_context=True)
def reporting_nav_link(context) -> str:
    """The "Daily reports" link of the navigation; for those who report, with the number of
    their forms not yet in (today's, and yesterday's still open or missed)."""
    user = context["request"].user
    n = reports_due_count(actor=user) if has_capability(user, Capability.SUBMIT_REPORTS) else 0
    if not n:
        return format_html('<a href="{}">{}</a>', reverse("reporting:home"), _("Daily reports"))
    # One link with its count: on a phone's menu a separate badge link would be a row of its own.
    return format_html('<a href="{}">{} <span class="badge err" id="reports-due" title="{}">{}</span></a>', reverse("reporting:home"),
                       _("Daily reports"), _("Reports not yet sent"), n)
