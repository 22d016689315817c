from django.urls import path

from . import import_views

# Spliced into the `screening` namespace by screening/urls.py.
urlpatterns = [
    path("<uuid:uid>/import/", import_views.import_upload, name="import"),
    path("<uuid:uid>/import/template.xlsx", import_views.import_template, name="import_template"),
    path("<uuid:uid>/import/<uuid:import_uid>/", import_views.import_result, name="import_result"),
    path("<uuid:uid>/import/<uuid:import_uid>/problems.xlsx", import_views.import_issues, name="import_issues"),
    path("<uuid:uid>/import/<uuid:import_uid>/good-rows/", import_views.import_commit, name="import_commit"),
    path("<uuid:uid>/import/<uuid:import_uid>/cancel/", import_views.import_cancel, name="import_cancel"),
]
