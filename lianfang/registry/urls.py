from django.urls import path

from . import views
from .import_urls import urlpatterns as import_patterns

app_name = "registry"
urlpatterns = [
    path("households/", views.household_list, name="households"),
    path("households/new/", views.household_new, name="household_new"),
    path("places/", views.places, name="places"),
    path("households/<uuid:uid>/", views.household_detail, name="household"),
    path("households/<uuid:uid>/edit/", views.household_edit, name="household_edit"),
    path("households/<uuid:uid>/remove/", views.household_remove, name="household_remove"),
    path("households/<uuid:uid>/residents/new/", views.resident_new, name="resident_new"),
    path("residents/", views.resident_list, name="residents"),
    path("residents/<uuid:uid>/", views.resident_detail, name="resident"),
    path("residents/<uuid:uid>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<uuid:uid>/remove/", views.resident_remove, name="resident_remove"),
    path("residents/<uuid:uid>/reveal/<str:field>/", views.resident_reveal, name="resident_reveal"),
    *import_patterns,
]
