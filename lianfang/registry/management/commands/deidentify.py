from django.core.management.base import BaseCommand, CommandError

from lianfang.checkpoints.services import checkpoints_deidentify
from lianfang.core.audit import COMMAND
from lianfang.core.models import Level, OrgUnit
from lianfang.registry.services import registry_deidentify
from lianfang.screening.importing import screening_import_data_delete
from lianfang.tracing.services import tracing_deidentify


class Command(BaseCommand):
    help = "De-identify a district's personal data when the emergency ends (names, ID numbers, phones, notes)."

    def add_arguments(self, parser):
        parser.add_argument("district", help="code of the district")
        parser.add_argument("--yes", action="store_true", help="really do it (it cannot be undone)")

    def handle(self, *args, district, yes, **options):
        unit = OrgUnit.objects.filter(code=district, level=Level.DISTRICT).first()
        if unit is None:
            raise CommandError(f"No district with code {district}.")
        if not yes:
            raise CommandError("This removes every name, ID number and phone of the district for good. Add --yes.")
        count = registry_deidentify(district=unit, via=COMMAND)
        screening_import_data_delete(district=unit)
        tracing_deidentify(district=unit, via=COMMAND)
        checkpoints_deidentify(district=unit, via=COMMAND)
        self.stdout.write(self.style.SUCCESS(f"{unit.name}: {count} residents de-identified."))
