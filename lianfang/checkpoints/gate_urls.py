"""The gate's pages: recording at the gate, the ledger, figures and referrals."""

from django.urls import path

from . import gate_views

urlpatterns = [
    path("", gate_views.home, name="home"),
    path("sw.js", gate_views.service_worker, name="service_worker"),
    path("<uuid:uid>/gate/", gate_views.gate, name="gate"),
    path("passages/", gate_views.passage_ledger, name="passages"),
    path("figures/", gate_views.figures, name="figures"),
    path("referrals/", gate_views.referral_list, name="referrals"),
    path("referrals/<uuid:uid>/<slug:action>/", gate_views.referral_action, name="referral_action"),
]
