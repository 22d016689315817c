from django.urls import include, path

from lianfang.api import api
from lianfang.core.admin import site

urlpatterns = [
    path("", include("lianfang.core.urls")),
    path("registry/", include("lianfang.registry.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", site.urls),
]
