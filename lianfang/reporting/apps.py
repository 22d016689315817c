from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "lianfang.reporting"
    label = "reporting"
    verbose_name = _("Daily reporting")

    def ready(self):
        from lianfang.core.models import AUDIT_OBJECT_TYPES

        AUDIT_OBJECT_TYPES.update({"report_template": _("Report template"), "daily_report": _("Daily report"),
                                   "reporting_unit": _("Reporting unit")})
