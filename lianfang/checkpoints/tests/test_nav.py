from django.utils import timezone

from .factories import draft, gate, record


def test_the_menu_shows_open_fever_referrals_to_those_who_close_them(world, client_for):
    g = gate(world)
    record(world.checkpoint_staff_a, draft(g, at=timezone.now(), name="访客", phone="13912345678", temperature="38.1"))
    page = client_for(world.grid_worker_a).get("/").content.decode()
    badge = page.split('id="referral-count"')[1][:120]
    assert 'href="/checkpoints/referrals/"' in badge and ">1</a>" in badge
    # Street b has none; the gate staff do not close referrals, so pay no count.
    assert 'id="referral-count"' not in client_for(world.street_officer_b).get("/").content.decode()
    assert 'id="referral-count"' not in client_for(world.checkpoint_staff_a).get("/").content.decode()


def test_gate_staff_do_not_get_the_quarantine_alerts_menu(world, client_for):
    assert "/quarantine/alerts/" not in client_for(world.checkpoint_staff_a).get("/").content.decode()
    assert "/quarantine/alerts/" in client_for(world.grid_worker_a).get("/").content.decode()
