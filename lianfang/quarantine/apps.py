from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuarantineConfig(AppConfig):
    name = "lianfang.quarantine"
    label = "quarantine"
    verbose_name = _("Key persons and quarantine")

    def ready(self):
        from lianfang.core.figures import count_in_subtrees, register_figure
        from lianfang.core.models import AUDIT_OBJECT_TYPES

        from .models import KeyPerson, QuarantineOrder

        AUDIT_OBJECT_TYPES.update({
            "quarantine_order": _("Quarantine order"), "health_check": _("Health check"), "alert": _("Alert"),
            "spot_check": _("Spot check"), "support_request": _("Living-support request"), "quarantine_policy": _("Quarantine policy"),
            "quarantine_site": _("Central quarantine site"), "quarantine_site_ledger": _("Site occupancy ledger"),
        })

        register_figure(name="key_persons", label=_("Key persons"),
                        compute=lambda paths, parent: count_in_subtrees(KeyPerson.objects.filter(status=KeyPerson.Status.ACTIVE), paths, parent))
        register_figure(name="in_quarantine", label=_("In quarantine"),
                        compute=lambda paths, parent: count_in_subtrees(QuarantineOrder.objects.filter(status=QuarantineOrder.Status.ACTIVE), paths, parent))
