from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TracingConfig(AppConfig):
    name = "lianfang.tracing"
    label = "tracing"
    verbose_name = _("Cases and contacts")

    def ready(self):
        from lianfang.core.figures import count_in_subtrees, register_figure
        from lianfang.core.models import AUDIT_OBJECT_TYPES

        from .models import Case, Classification

        AUDIT_OBJECT_TYPES.update({"case": _("Case"), "case_contact": _("Case contact"), "case_chain": _("Transmission chains")})
        active = Case.objects.filter(classification=Classification.CONFIRMED, status=Case.Status.UNDER_TREATMENT)
        register_figure(name="active_confirmed_cases", label=_("Confirmed cases under treatment"),
                        compute=lambda paths, parent, day: count_in_subtrees(active, paths, parent))
