from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from lianfang.api import api
from lianfang.core.admin import site

urlpatterns = [
    path("", include("lianfang.core.urls")),
    path("registry/", include("lianfang.registry.urls")),
    path("screening/", include("lianfang.screening.urls")),
    path("tracing/", include("lianfang.tracing.urls")),
    path("checkpoints/", include("lianfang.checkpoints.urls")),
    path("reporting/", include("lianfang.reporting.urls")),
    path("", include("lianfang.quarantine.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", site.urls),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("lianfang/favicon.svg"), permanent=True)),
]
