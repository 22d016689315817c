import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from lianfang.quarantine.models import Alert

from .factories import at, watch

pytestmark = pytest.mark.django_db


def test_the_escalation_command_raises_missed_checks_once(world, frozen):
    day = dt.date(2026, 2, 3)
    frozen(at(day, 8))
    order = watch(world)
    frozen(at(day, 11, 30))
    out = StringIO()
    call_command("quarantine_escalate", stdout=out)
    call_command("quarantine_escalate", stdout=out)
    assert out.getvalue().splitlines() == ["1 missed-check alerts raised.", "0 missed-check alerts raised."]
    assert list(Alert.objects.values_list("order", "kind")) == [(order.pk, Alert.Kind.OVERDUE)]
