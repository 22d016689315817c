from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuarantineConfig(AppConfig):
    name = "lianfang.quarantine"
    label = "quarantine"
    verbose_name = _("Key persons and quarantine")

    def ready(self):
        from lianfang.core.figures import count_in_subtrees, on_day, register_figure
        from lianfang.core.models import AUDIT_OBJECT_TYPES

        from .models import Alert, KeyPerson, QuarantineOrder

        AUDIT_OBJECT_TYPES.update({
            "quarantine_order": _("Quarantine order"), "health_check": _("Health check"), "alert": _("Alert"),
            "spot_check": _("Spot check"), "support_request": _("Living-support request"), "quarantine_policy": _("Quarantine policy"),
            "quarantine_site": _("Central quarantine site"), "quarantine_site_ledger": _("Site occupancy ledger"),
        })

        register_figure(name="key_persons", label=_("Key persons"),
                        compute=lambda paths, parent, day: count_in_subtrees(KeyPerson.objects.filter(status=KeyPerson.Status.ACTIVE), paths, parent))
        register_figure(name="in_quarantine", label=_("In quarantine"),
                        compute=lambda paths, parent, day: count_in_subtrees(QuarantineOrder.objects.filter(status=QuarantineOrder.Status.ACTIVE), paths, parent))
        # What happened on the day, for daily reports.
        register_figure(name="new_key_persons", label=_("New key persons"), per_day=True,
                        compute=lambda paths, parent, day: count_in_subtrees(on_day(KeyPerson.objects.all(), "created_at", day), paths, parent))
        register_figure(name="fever_alerts", label=_("Fever alerts"), per_day=True,
                        compute=lambda paths, parent, day: count_in_subtrees(
                            on_day(Alert.objects.filter(kind=Alert.Kind.FEVER), "raised_at", day), paths, parent))
        register_figure(name="overdue_checks", label=_("Missed health checks"), per_day=True,
                        compute=lambda paths, parent, day: count_in_subtrees(
                            on_day(Alert.objects.filter(kind=Alert.Kind.OVERDUE), "raised_at", day), paths, parent))
        register_figure(name="releases", label=_("Released from quarantine"), per_day=True,
                        compute=lambda paths, parent, day: count_in_subtrees(
                            on_day(QuarantineOrder.objects.filter(status=QuarantineOrder.Status.RELEASED), "ended_at", day), paths, parent))
