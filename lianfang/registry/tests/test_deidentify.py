import pytest
from django.core.management import CommandError, call_command

from lianfang.core.models import AuditEntry
from lianfang.registry.models import Resident


def test_it_needs_an_explicit_yes(world):
    with pytest.raises(CommandError, match="--yes"):
        call_command("deidentify", world.district.code)
    assert Resident.objects.filter(id_number__isnull=False).count() == 2


def test_it_removes_identities_and_keeps_counts(world, client_for):
    client_for(world.street_officer_a).get(f"/registry/residents/{world.resident_a.uid}/")
    world.resident_a.birth_date = "1980-05-06"
    world.resident_a.save()
    call_command("deidentify", world.district.code, "--yes")
    people = list(Resident.objects.order_by("pk"))
    assert len(people) == 2
    assert all(p.id_number is None and p.phone == "" and p.name.startswith("居民") for p in people)
    assert people[0].name == f"居民{people[0].pk}" and str(people[0].birth_date) == "1980-01-01"
    assert AuditEntry.objects.get(action="view").object_label == ""
    assert AuditEntry.objects.get(object_type="registry").detail == {"deidentified_residents": 2}


def test_it_drops_screening_import_checks_that_quote_cells(world):
    from lianfang.screening.import_models import ScreeningImport
    from lianfang.screening.tests.factories import open_round

    screening_round = open_round(actor=world.district_office, scope=world.district)
    ScreeningImport.objects.create(round=screening_round, actor=world.grid_worker_a, org_path=world.grid1_a.path, filename="台账.xlsx",
                                   sha256="0" * 64, issues=[{"row": 3, "value": world.resident_a.name}])
    call_command("deidentify", world.district.code, "--yes")
    assert not ScreeningImport.objects.exists()
