from django.urls import path

from . import site_urls, views

app_name = "quarantine"
urlpatterns = [
    path("key-persons/", views.key_person_list, name="key_persons"),
    path("key-persons/<uuid:uid>/", views.key_person_file, name="key_person"),
    path("key-persons/<uuid:uid>/order/", views.order_start, name="order_start"),
    path("key-persons/<uuid:uid>/change/", views.key_person_change, name="key_person_change"),
    path("quarantine/orders/", views.order_list, name="orders"),
    path("quarantine/orders/<uuid:uid>/", views.order_detail, name="order"),
    path("quarantine/orders/<uuid:uid>/check/", views.check_record, name="check"),
    path("quarantine/orders/<uuid:uid>/notice.pdf", views.notice_pdf, name="notice"),
    path("quarantine/orders/<uuid:uid>/<slug:action>/", views.order_action, name="order_action"),
    path("quarantine/follow-ups/", views.follow_ups, name="follow_ups"),
    path("quarantine/alerts/", views.alert_list, name="alerts"),
    path("quarantine/alerts/<uuid:uid>/<slug:action>/", views.alert_action, name="alert_action"),
    path("quarantine/support/", views.support_list, name="support"),
    path("quarantine/support/<uuid:uid>/close/", views.support_close, name="support_close"),
    path("quarantine/releases/", views.release_list, name="releases"),
    path("quarantine/policy/", views.policy_edit, name="policy"),
] + site_urls.urlpatterns
