from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "lianfang.screening"
    label = "screening"
    verbose_name = _("Screening rounds")

    def ready(self):
        from lianfang.core.figures import count_in_subtrees, on_day, register_figure

        from .models import ScreeningVisit

        register_figure(name="households_visited", label=_("Households visited (screening)"), per_day=True,
                        compute=lambda paths, parent, day: count_in_subtrees(on_day(ScreeningVisit.objects.all(), "visited_at", day),
                                                                             paths, parent))
