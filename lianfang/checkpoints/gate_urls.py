"""The gate's pages: recording at the gate, the ledger, figures and referrals."""

urlpatterns = []
