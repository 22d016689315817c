from django.urls import path

from . import views

app_name = "tracing"
urlpatterns = [
    path("", views.case_list, name="cases"),
    path("new/", views.case_new, name="case_new"),
    path("cases/<uuid:uid>/", views.case_detail, name="case"),
    path("cases/<uuid:uid>/edit/", views.case_edit, name="case_edit"),
    path("cases/<uuid:uid>/classify/", views.case_classify, name="case_classify"),
    path("cases/<uuid:uid>/trajectory/", views.trajectory_add, name="trajectory_add"),
    path("cases/<uuid:uid>/trajectory/<int:entry_id>/remove/", views.trajectory_remove, name="trajectory_remove"),
    path("cases/<uuid:uid>/contacts/", views.contact_add, name="contact_add"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/<uuid:uid>/hand-over/", views.contact_hand_over, name="contact_hand_over"),
    path("contacts/<uuid:uid>/to-case/", views.contact_to_case, name="contact_to_case"),
    path("chains/", views.chains, name="chains"),
    path("chains/figure.json", views.chain_figure, name="chain_figure"),
]
