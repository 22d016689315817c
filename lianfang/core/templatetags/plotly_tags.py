from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from lianfang.core.plotly import PLOTLY_JS

register = template.Library()


@register.simple_tag
def plotly_script() -> str:
    """The script tag of the local plotly.js (see core/plotly.py); put it before the page's own script."""
    return format_html('<script src="{}" defer></script>', static(PLOTLY_JS))
