from django.urls import path  # noqa: F401 - the sites pages are being built

urlpatterns: list = []
