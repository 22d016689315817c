from django.urls import path  # noqa: F401  (the management pages are added here)

from . import gate_urls

app_name = "checkpoints"

urlpatterns = [
] + gate_urls.urlpatterns
