from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("org/", views.org_tree, name="org_tree"),
    path("org/<str:code>/", views.org_unit_detail, name="org_unit"),
    path("org/<str:code>/children/", views.org_unit_add_child, name="org_unit_add_child"),
    path("org/<str:code>/people/new/", views.responsible_person_add, name="responsible_person_add"),
    path("people/", views.responsible_people, name="responsible_people"),
    path("people/<uuid:uid>/", views.responsible_person_edit, name="responsible_person_edit"),
    path("audit/", views.audit_log, name="audit_log"),
]
