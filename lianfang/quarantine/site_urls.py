from django.urls import path

from . import site_views as views

# Appended to the quarantine namespace by quarantine/urls.py.
urlpatterns = [
    path("quarantine/sites/", views.site_list, name="sites"),
    path("quarantine/sites/new/", views.site_new, name="site_new"),
    path("quarantine/sites/<uuid:uid>/", views.site_detail, name="site"),
    path("quarantine/sites/<uuid:uid>/edit/", views.site_edit, name="site_edit"),
    path("quarantine/sites/<uuid:uid>/status/", views.site_status, name="site_status"),
    path("quarantine/sites/<uuid:uid>/rooms/", views.site_rooms_add, name="site_rooms_add"),
    path("quarantine/sites/<uuid:uid>/rooms/<int:room_id>/", views.site_room, name="site_room"),
    path("quarantine/sites/<uuid:uid>/ledger.xlsx", views.site_ledger, name="site_ledger"),
    path("quarantine/sites/occupants/<uuid:uid>/move/", views.occupant_move, name="site_move"),
    path("quarantine/sites/occupants/<uuid:uid>/check-out/", views.occupant_check_out, name="site_check_out"),
]
