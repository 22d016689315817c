from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuarantineConfig(AppConfig):
    name = "lianfang.quarantine"
    label = "quarantine"
    verbose_name = _("Key persons and quarantine")

    def ready(self):
        from lianfang.core.figures import count_in_subtrees, register_figure

        from .models import KeyPerson

        register_figure(name="key_persons", label=_("Key persons"),
                        compute=lambda paths, parent: count_in_subtrees(KeyPerson.objects.filter(status=KeyPerson.Status.ACTIVE), paths, parent))
