from django.urls import path

from . import views
from .import_urls import urlpatterns as import_patterns

app_name = "screening"
urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("new/", views.round_new, name="round_new"),
    path("<uuid:uid>/", views.round_detail, name="round"),
    path("<uuid:uid>/edit/", views.round_edit, name="round_edit"),
    path("<uuid:uid>/status/", views.round_transition, name="round_transition"),
    path("<uuid:uid>/today/", views.today, name="today"),
    path("<uuid:uid>/households/<uuid:household_uid>/visit/", views.visit_new, name="visit_new"),
    path("<uuid:uid>/unvisited/", views.unvisited, name="unvisited"),
    path("<uuid:uid>/log/", views.work_log, name="work_log"),
    path("<uuid:uid>/candidates/", views.candidates, name="candidates"),
    path("<uuid:uid>/ledger.xlsx", views.ledger, name="ledger"),
    path("candidates/<uuid:uid>/confirm/", views.candidate_confirm, name="candidate_confirm"),
    path("candidates/<uuid:uid>/dismiss/", views.candidate_dismiss, name="candidate_dismiss"),
    *import_patterns,
]
