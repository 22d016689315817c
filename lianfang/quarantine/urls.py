from django.urls import path

from . import site_urls, views

app_name = "quarantine"
urlpatterns = [
    path("key-persons/", views.key_person_list, name="key_persons"),
] + site_urls.urlpatterns
