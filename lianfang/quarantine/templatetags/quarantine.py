from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from lianfang.core.roles import Capability, has_capability
from lianfang.quarantine.selectors import alert_open_count

register = template.Library()


@register.simple_tag(takes_context=True)
def open_alert_badge(context) -> str:
    """The "Alerts" link of the navigation, with the number of open alerts the user should see."""
    user = context["request"].user
    if not has_capability(user, Capability.HANDLE_ALERTS):
        return ""  # alerts name people under watch; those who cannot act on them (gate staff) do not list them
    n = alert_open_count(actor=user)
    badge = format_html(' <span class="badge err" id="alert-count">{}</span>', n) if n else ""
    return format_html('<a href="{}">{}{}</a>', reverse("quarantine:alerts"), _("Alerts"), badge)
