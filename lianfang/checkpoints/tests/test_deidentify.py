from django.core.management import call_command
from django.utils import timezone

from ..models import Passage
from .factories import card, code, draft, gate, record


def test_deidentify_drops_who_passed_and_keeps_the_counts(world):
    g = gate(world)
    now = timezone.now()
    record(world.checkpoint_staff_a, draft(g, at=now, card=code(card(world))),
           draft(g, at=now, id_number=world.resident_a.id_number, phone="13912345678", plate="甘A12345", disinfected=True),
           draft(g, at=now, name="访客", phone="13912345679", purpose="探亲", direction="out", outcome="turned_back",
                 turn_back_reason="无事由"))
    call_command("deidentify", world.district.code, "--yes")
    rows = list(Passage.objects.order_by("pk"))
    assert len(rows) == 3
    assert all(r.name.startswith("通行") and r.id_number is None and r.phone == "" and r.plate == "" and r.purpose == "" for r in rows)
    assert [r.outcome for r in rows] == ["passed", "passed", "turned_back"]  # the figures survive
