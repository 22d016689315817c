"""The gate's pages without JavaScript: recording, the ledger, figures and referrals."""

import io
import uuid

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from lianfang.core.models import AuditEntry
from lianfang.quarantine.models import Alert
from lianfang.quarantine.tests.factories import watch

from ..models import Passage, Referral
from .factories import card, code, draft, gate, record

VISITOR = {"mode": "visitor", "direction": "in", "name": "李访客", "phone": "13912345678", "temperature": "36.6", "outcome": "passed"}


def _post(client, g, **fields):
    data = {"uid": str(uuid.uuid4()), **VISITOR, **fields}
    return client.post(reverse("checkpoints:gate", args=[g.uid]), data)


def _xlsx(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def test_it_sends_staff_with_one_post_to_their_gate(world, client_for):
    g = gate(world)
    response = client_for(world.checkpoint_staff_a).get(reverse("checkpoints:home"))
    assert response.status_code == 302 and response.url == reverse("checkpoints:gate", args=[g.uid])


def test_it_sends_others_to_the_checkpoint_list(world, client_for):
    gate(world)
    response = client_for(world.street_officer_a).get(reverse("checkpoints:home"))
    assert response.status_code == 302 and "/gate/" not in response.url


def test_the_gate_page_renders_a_form_with_a_fresh_uid(world, client_for):
    g = gate(world)
    response = client_for(world.checkpoint_staff_a).get(reverse("checkpoints:gate", args=[g.uid]))
    assert response.status_code == 200
    assert b'name="uid"' in response.content and b"checkpoints/gate.js" in response.content


def test_it_records_once_when_the_same_form_is_posted_twice(world, client_for):
    g = gate(world)
    client = client_for(world.checkpoint_staff_a)
    uid = str(uuid.uuid4())
    first = _post(client, g, uid=uid)
    again = _post(client, g, uid=uid)
    assert first.status_code == again.status_code == 200
    assert Passage.objects.count() == 1
    assert "already stored" in again.content.decode()
    passage = Passage.objects.get()
    assert (passage.name, passage.is_visitor, passage.recorded_by) == ("李访客", True, world.checkpoint_staff_a)
    # The page comes back with a new uid for the next person.
    assert uid not in first.content.decode()


def test_it_stops_a_quarantined_household_going_out(world, client_for):
    watch(world, "a")
    g, c = gate(world), card(world)
    response = _post(client_for(world.checkpoint_staff_a), g, mode="card", card=code(c), direction="out", temperature="")
    page = response.content.decode()
    assert 'class="result stop"' in page and "STOP" in page
    assert "is under quarantine until" in page
    passage = Passage.objects.get()
    assert passage.is_breach and passage.outcome == "turned_back"
    assert Alert.objects.filter(kind="breach").count() == 1


def test_a_fever_is_referred(world, client_for):
    g = gate(world)
    page = _post(client_for(world.checkpoint_staff_a), g, temperature="38.2").content.decode()
    assert 'class="result refer"' in page and "Refer to the fever clinic" in page
    assert Referral.objects.get().reasons == ["fever"]


def test_it_rejects_temperature_365_and_stores_nothing(world, client_for):
    g = gate(world)
    response = _post(client_for(world.checkpoint_staff_a), g, temperature="365")
    assert response.status_code == 400
    assert "Did you mean 36.5?" in response.content.decode()
    assert not Passage.objects.exists()
    # What was typed stays in the form.
    assert 'value="李访客"' in response.content.decode()


def test_it_takes_only_the_chosen_identity(world, client_for):
    """A card code left in the hidden card field does not make a visitor's record ambiguous."""
    g, c = gate(world), card(world)
    _post(client_for(world.checkpoint_staff_a), g, card=code(c))
    assert Passage.objects.get().subject == "visitor"


def test_it_hides_other_streets_gates(world, client_for):
    g = gate(world)
    response = client_for(world.checkpoint_staff_b).get(reverse("checkpoints:gate", args=[g.uid]))
    assert response.status_code == 404


def test_staff_do_not_see_a_gate_they_are_not_posted_to(world, client_for):
    other = gate(world, name="西门", staff=[])
    record(world.street_officer_a, draft(other, at=timezone.now(), name="王五", phone="13800000000"))
    client = client_for(world.checkpoint_staff_a)
    assert client.get(reverse("checkpoints:gate", args=[other.uid])).status_code == 404
    assert "王五" not in client.get(reverse("checkpoints:passages")).content.decode()


def test_the_ledger_is_masked_and_scoped(world, client_for):
    g_a, g_b = gate(world, "a"), gate(world, "b")
    record(world.checkpoint_staff_a, draft(g_a, at=timezone.now(), id_number=world.resident_a.id_number))
    record(world.checkpoint_staff_b, draft(g_b, at=timezone.now(), name="赵访客", phone="13712345678"))
    page_a = client_for(world.checkpoint_staff_a).get(reverse("checkpoints:passages")).content.decode()
    assert world.resident_a.name in page_a and "赵访客" not in page_a
    assert world.resident_a.id_number not in page_a and world.resident_a.id_number[-4:] in page_a
    page_b = client_for(world.checkpoint_staff_b).get(reverse("checkpoints:passages")).content.decode()
    assert world.resident_a.name not in page_b and "赵访客" in page_b and "13712345678" not in page_b
    assert AuditEntry.objects.filter(object_type="passage_ledger", action="view").count() == 2


def test_the_ledger_filters(world, client_for):
    g = gate(world)
    now = timezone.now()
    record(world.checkpoint_staff_a, draft(g, at=now, name="进来的", phone="13800000001"),
           draft(g, at=now, direction="out", name="出去的", phone="13800000002"))
    page = client_for(world.street_officer_a).get(reverse("checkpoints:passages"), {"direction": "out", "visitors": "1"}).content.decode()
    assert "出去的" in page and "进来的" not in page


def test_the_ledger_export_is_masked_and_audited(world, client_for):
    g = gate(world)
    record(world.checkpoint_staff_a, draft(g, at=timezone.now(), name="钱访客", phone="13612345678", plate="京A12345"))
    response = client_for(world.street_officer_a).get(reverse("checkpoints:passages"), {"format": "xlsx"})
    assert response.status_code == 200
    rows = _xlsx(response)
    assert len(rows) == 2 and len(rows[0]) == 19
    assert "钱访客" in rows[1] and "京A12345" in rows[1] and "136****5678" in rows[1]
    assert "13612345678" not in rows[1]
    assert AuditEntry.objects.filter(object_type="passage_ledger", action="export").count() == 1


def test_checkpoint_staff_may_not_export_the_ledger(world, client_for):
    gate(world)
    response = client_for(world.checkpoint_staff_a).get(reverse("checkpoints:passages"), {"format": "xlsx"})
    assert response.status_code == 403


def test_the_ledger_reads_a_page_in_few_queries(world, client_for, django_assert_max_num_queries):
    g = gate(world)
    now = timezone.now()
    record(world.checkpoint_staff_a, *[draft(g, at=now, name=f"访客{i}", phone="13800000000") for i in range(20)])
    client = client_for(world.street_officer_a)
    with django_assert_max_num_queries(12):
        client.get(reverse("checkpoints:passages"))


def test_the_figures_page_renders_the_numbers(world, client_for):
    g = gate(world)
    now = timezone.now()
    record(world.checkpoint_staff_a, draft(g, at=now, name="甲", phone="13800000001"),
           draft(g, at=now, name="乙", phone="13800000002", temperature="38.0"),
           draft(g, at=now, direction="out", name="丙", phone="13800000003", plate="京A12345"))
    response = client_for(world.street_officer_a).get(reverse("checkpoints:figures"))
    assert response.status_code == 200
    totals = response.context["figures"].totals
    assert (totals["inbound"], totals["outbound"], totals["referred"], totals["vehicles"]) == (2, 1, 1, 1)
    page = response.content.decode()
    assert 'id="by-checkpoint"' in page and g.name in page and "hours-data" in page
    assert 'data-label="In">2<' in page


def test_the_figures_refuse_a_period_over_93_days(world, client_for):
    response = client_for(world.street_officer_a).get(reverse("checkpoints:figures"), {"since": "2025-01-01", "until": "2025-06-01"})
    assert response.status_code == 400 and "at most 93 days" in response.content.decode()


def test_the_figures_export_per_checkpoint_and_day(world, client_for):
    g = gate(world)
    record(world.checkpoint_staff_a, draft(g, at=timezone.now(), name="甲", phone="13800000001"))
    rows = _xlsx(client_for(world.street_officer_a).get(reverse("checkpoints:figures"), {"format": "xlsx"}))
    assert len(rows) == 2 and rows[1][1] == g.name and rows[1][3] == 1


def _fever(world):
    g = gate(world)
    record(world.checkpoint_staff_a, draft(g, at=timezone.now(), name="发热者", phone="13800000009", temperature="38.5"))
    return Referral.objects.get()


def test_a_referral_is_closed_with_a_disposition(world, client_for):
    referral = _fever(world)
    client = client_for(world.grid_worker_a)
    assert "发热者" in client.get(reverse("checkpoints:referrals")).content.decode()
    response = client.post(reverse("checkpoints:referral_action", args=[referral.uid, "close"]),
                           {"disposition": "ruled_out", "outcome": "复测36.8"}, follow=True)
    assert "Referral closed." in response.content.decode()
    referral.refresh_from_db()
    assert (referral.status, referral.disposition, referral.closed_by) == ("closed", "ruled_out", world.grid_worker_a)


def test_closing_needs_a_disposition(world, client_for):
    referral = _fever(world)
    response = client_for(world.grid_worker_a).post(reverse("checkpoints:referral_action", args=[referral.uid, "close"]), {},
                                                    follow=True)
    assert "Choose what was done." in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "open"


def test_checkpoint_staff_may_not_close_a_referral(world, client_for):
    referral = _fever(world)
    client = client_for(world.checkpoint_staff_a)
    page = client.get(reverse("checkpoints:referrals")).content.decode()
    assert "发热者" in page and "/close/" not in page
    response = client.post(reverse("checkpoints:referral_action", args=[referral.uid, "close"]), {"disposition": "ruled_out"},
                           follow=True)
    assert "may not" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "open"


def test_referrals_of_another_street_are_not_found(world, client_for):
    referral = _fever(world)
    response = client_for(world.grid_worker_b).post(reverse("checkpoints:referral_action", args=[referral.uid, "acknowledge"]))
    assert response.status_code == 404


def test_open_referrals_come_first(world, client_for):
    g = gate(world)
    record(world.checkpoint_staff_a, draft(g, at=timezone.now(), name="先来", phone="13800000001", temperature="38.5"))
    record(world.checkpoint_staff_a, draft(g, at=timezone.now(), name="后来", phone="13800000002", temperature="38.5"))
    from lianfang.core.audit import COMMAND

    from .. import services
    services.referral_close(actor=world.grid_worker_a, referral=Referral.objects.get(passage__name="后来"), disposition="ruled_out",
                            via=COMMAND)
    page = client_for(world.grid_worker_a).get(reverse("checkpoints:referrals")).content.decode()
    assert page.index("先来") < page.index("后来")


def test_the_referral_export_is_audited(world, client_for):
    _fever(world)
    rows = _xlsx(client_for(world.grid_worker_a).get(reverse("checkpoints:referrals"), {"format": "xlsx"}))
    assert "发热者" in rows[1] and "138****0009" in rows[1]
    assert AuditEntry.objects.filter(object_type="referral", action="export").exists()


@pytest.mark.parametrize("url", ["checkpoints:passages", "checkpoints:figures", "checkpoints:referrals"])
def test_the_lists_render_for_checkpoint_staff(world, client_for, url):
    gate(world)
    assert client_for(world.checkpoint_staff_a).get(reverse(url)).status_code == 200


def test_the_service_worker_is_served_for_the_checkpoint_pages(world, client_for):
    response = client_for(world.checkpoint_staff_a).get(reverse("checkpoints:service_worker"))
    assert response.status_code == 200 and response["Service-Worker-Allowed"] == reverse("checkpoints:home")


def test_the_referrals_read_a_page_in_few_queries(world, client_for, django_assert_max_num_queries):
    g = gate(world)
    record(world.checkpoint_staff_a, *[draft(g, at=timezone.now(), name=f"发热{i}", phone="13800000000", temperature="38.0")
                                       for i in range(15)])
    client = client_for(world.grid_worker_a)
    with django_assert_max_num_queries(12):
        client.get(reverse("checkpoints:referrals"))


def test_the_gate_speaks_chinese(world, client_for, settings):
    g = gate(world)
    settings.LANGUAGE_CODE = "zh-hans"
    from django.utils import translation

    with translation.override("zh-hans"):
        page = client_for(world.checkpoint_staff_a).get(reverse("checkpoints:gate", args=[g.uid])).content.decode()
    assert 'lang="zh-hans"' in page and "体温" in page
