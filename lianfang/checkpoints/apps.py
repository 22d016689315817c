from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckpointsConfig(AppConfig):
    name = "lianfang.checkpoints"
    label = "checkpoints"
    verbose_name = _("Checkpoints")

    def ready(self):
        from lianfang.core.models import AUDIT_OBJECT_TYPES

        from . import sources

        AUDIT_OBJECT_TYPES.update({
            "checkpoint": _("Checkpoint"), "duty_shift": _("Duty shift"), "pass_card": _("Pass card"),
            "passage": _("Passage record"), "passage_ledger": _("Passage ledger"), "passage_figures": _("Checkpoint figures"),
            "referral": _("Fever referral"),
        })
        sources.register()
