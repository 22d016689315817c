from django.urls import path

from . import views

app_name = "quarantine"
urlpatterns = [
    path("key-persons/", views.key_person_list, name="key_persons"),
]
