from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "lianfang.registry"
    label = "registry"
    verbose_name = _("Population registry")

    def ready(self):
        from lianfang.core.figures import count_in_subtrees, register_figure

        from .models import Household, Resident

        register_figure(name="households", label=_("Households"),
                        compute=lambda paths, parent, day: count_in_subtrees(Household, paths, parent))
        register_figure(name="residents", label=_("Residents"),
                        compute=lambda paths, parent, day: count_in_subtrees(Resident, paths, parent))
