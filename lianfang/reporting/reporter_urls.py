"""The reporters' pages, and those of whoever follows their reports (the duty rosters and the
reminders are in office_urls)."""

from django.urls import path

from . import reporter_views as views

urlpatterns = [
    path("", views.home, name="home"),
    path("form/<uuid:template>/<uuid:unit>/<str:day>/", views.report_form, name="form"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<uuid:uid>/", views.report_detail, name="report"),
    path("reports/<uuid:uid>/sign-off/", views.report_sign_off, name="sign_off"),
    path("totals/", views.rollup, name="rollup"),
    path("completeness/", views.matrix, name="matrix"),
    path("missing/", views.missing, name="missing"),
]
