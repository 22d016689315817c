"""Figures this app offers to daily reports and the command view (see core.figures)."""

from django.utils.translation import gettext_lazy as _

from lianfang.core.figures import count_in_subtrees, on_day, register_figure

from .models import Outcome, Passage


def _passages(**filters):
    def compute(paths: list[str], parent_path: str, day) -> dict[str, int]:
        return count_in_subtrees(on_day(Passage.objects.filter(**filters), "at", day), paths, parent_path)
    return compute


def register() -> None:
    register_figure(name="passages", label=_("Checkpoint passages"), per_day=True, compute=_passages())
    register_figure(name="turned_back", label=_("Turned back at checkpoints"), per_day=True,
                    compute=_passages(outcome=Outcome.TURNED_BACK))
    register_figure(name="fever_referrals", label=_("Fever referrals at checkpoints"), per_day=True,
                    compute=_passages(outcome=Outcome.REFERRED))
    register_figure(name="quarantine_breaches", label=_("Quarantine breaches at checkpoints"), per_day=True,
                    compute=_passages(is_breach=True))
