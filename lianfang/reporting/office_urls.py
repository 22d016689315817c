from django.urls import path

from . import office_views as views

# The district office's set-up pages and the brief (mounted at /reporting/, app "reporting").
urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_form, name="template_create"),
    path("templates/<uuid:uid>/edit/", views.template_form, name="template_edit"),
    path("units/", views.unit_list, name="units"),
    path("units/<uuid:uid>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<uuid:uid>/duty/", views.duty_edit, name="duty_edit"),
    path("duty/", views.duty_board, name="duty"),
    path("reminders/", views.reminder_list, name="reminders"),
    path("briefs/", views.brief_list, name="briefs"),
    path("briefs/new/", views.brief_create, name="brief_create"),
    path("briefs/<uuid:uid>/", views.brief_detail, name="brief"),
    path("briefs/<uuid:uid>/docx/", views.brief_docx, name="brief_docx"),
    path("briefs/<uuid:uid>/pdf/", views.brief_pdf, name="brief_pdf"),
]
