from django.urls import path

from . import gate_urls, views

app_name = "checkpoints"

urlpatterns = [
    path("list/", views.checkpoint_list, name="list"),
    path("new/", views.checkpoint_create, name="create"),
    path("duty/", views.duty_board, name="duty_board"),
    path("<uuid:uid>/", views.checkpoint_detail, name="detail"),
    path("<uuid:uid>/edit/", views.checkpoint_edit, name="edit"),
    path("<uuid:uid>/roster/", views.roster, name="roster"),
    path("<uuid:uid>/roster/plan/", views.roster_plan, name="roster_plan"),
    path("shifts/<uuid:uid>/assign/", views.duty_assign, name="duty_assign"),
    path("shifts/<uuid:uid>/unassign/", views.duty_unassign, name="duty_unassign"),
    path("shifts/<uuid:uid>/handover/", views.handover, name="handover"),
    path("cards/", views.card_list, name="cards"),
    path("cards/issue/", views.card_issue, name="card_issue"),
    path("cards/issue-for/", views.cards_issue_for, name="cards_issue_for"),
    path("cards/sheet.pdf", views.card_sheet, name="card_sheet"),
    path("cards/<uuid:uid>/", views.card_detail, name="card_detail"),
    path("cards/<uuid:uid>/change/", views.card_change, name="card_change"),
] + gate_urls.urlpatterns
