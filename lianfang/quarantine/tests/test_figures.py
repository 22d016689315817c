"""The figures quarantine offers to daily reports count the local day they are asked for."""

import datetime as dt

from lianfang.core.audit import COMMAND
from lianfang.core.figures import SOURCES, figures_for

from .. import services
from .factories import DAY, at, check, watch


def test_the_days_figures_count_that_day_and_states_count_now(world, frozen):
    frozen(at(DAY, 9))
    order = watch(world, "a")
    check(order, world.doctor_a, "38.0")  # a fever alert on DAY
    paths = [world.street_a.path, world.street_b.path]
    names = ["new_key_persons", "fever_alerts", "releases", "in_quarantine"]
    on_day = figures_for(paths=paths, parent_path=world.district.path, day=DAY, names=names)
    assert {n: v[world.street_a.path] for n, v in on_day.items()} == {"new_key_persons": 1, "fever_alerts": 1, "releases": 0,
                                                                      "in_quarantine": 1}
    assert all(v[world.street_b.path] == 0 for v in on_day.values())
    frozen(at(DAY + dt.timedelta(days=1), 9))
    services.quarantine_order_release(actor=world.street_officer_a, order=order, early=True, reason="核酸阴性", via=COMMAND)
    next_day = figures_for(paths=paths, parent_path=world.district.path, names=names)  # today: the day after
    assert {n: v[world.street_a.path] for n, v in next_day.items()} == {"new_key_persons": 0, "fever_alerts": 0, "releases": 1,
                                                                        "in_quarantine": 0}
    assert SOURCES["fever_alerts"].per_day and not SOURCES["in_quarantine"].per_day
