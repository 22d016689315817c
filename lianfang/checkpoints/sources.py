"""Figures this app offers to daily reports and the command view (see core.figures)."""

from django.utils.translation import gettext_lazy as _

from lianfang.core import clock
from lianfang.core.figures import count_in_subtrees, register_figure

from .models import Outcome, Passage


def _today(**filters):
    def compute(paths: list[str], parent_path: str) -> dict[str, int]:
        start, end = clock.day_bounds(clock.today())
        return count_in_subtrees(Passage.objects.filter(at__gte=start, at__lt=end, **filters), paths, parent_path)
    return compute


def register() -> None:
    register_figure(name="passages_today", label=_("Passages today"), compute=_today())
    register_figure(name="turned_back_today", label=_("Turned back today"), compute=_today(outcome=Outcome.TURNED_BACK))
    register_figure(name="fever_referrals_today", label=_("Fever referrals at checkpoints today"), compute=_today(outcome=Outcome.REFERRED))
