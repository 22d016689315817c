from django.urls import path

from lianfang.core.views import home

# Replaced by the Excel import pages.
urlpatterns = [path("import/", home, name="import")]
