"""Reads of cases and contacts, scoped to the actor; the transmission chains they form."""

import datetime as dt
import re
from html import escape

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from lianfang.core import idnumbers, phones
from lianfang.core.models import PATH_SEGMENT, Level, OrgUnit
from lianfang.core.scoping import access, scoped, subtree_q

from . import chains as chain_layout
from .models import (
    CLASSIFICATION_TRANSITIONS,
    Case,
    Classification,
    Contact,
    ContactKind,
    Setting,
    TrajectoryEntry,
)

_MASKED_ID = re.compile(r"^(\d{6})\*+(\d{3}[\dX])$")


def _person_q(q: str) -> Q:
    """Name, full ID number or phone, the last four digits, or a masked value copied from a list."""
    q = q.strip()
    norm = idnumbers.normalize(q)
    if len(norm) == 4 and norm[:3].isdigit():
        return Q(id_number__endswith=norm) | Q(phone__endswith=norm) | Q(resident__id_tail=norm)
    if masked := _MASKED_ID.match(norm):
        return (Q(id_number__startswith=masked[1], id_number__endswith=masked[2])
                | Q(resident__id_number__startswith=masked[1], resident__id_tail=masked[2]))
    if idnumbers.is_valid(norm):
        number = idnumbers.parse(norm).number
        return Q(id_number=number) | Q(resident__id_number=number)
    if phones.is_valid(q):
        number = phones.parse(q)
        return Q(phone=number) | Q(resident__phone=number)
    return Q(name__icontains=q)


def case_list(
    *, actor, org: OrgUnit | None = None, classification: str = "", status: str = "", cluster: str = "", q: str = "",
    onset_from: dt.date | None = None, onset_to: dt.date | None = None,
) -> QuerySet[Case]:
    qs = scoped(Case.objects.select_related("org", "resident", "infected_by"), actor).annotate(
        contact_count=Count("contacts")).order_by("-reported_on", "-id")  # a grouped query drops Meta.ordering
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if classification in Classification.values:
        qs = qs.filter(classification=classification)
    if status in Case.Status.values:
        qs = qs.filter(status=status)
    if cluster:
        qs = qs.filter(cluster=cluster)
    if onset_from:
        qs = qs.filter(onset_date__gte=onset_from)
    if onset_to:
        qs = qs.filter(onset_date__lte=onset_to)
    if q:
        qs = qs.filter(_person_q(q))
    return qs


def access_case(*, actor, uid) -> Case:
    return access(Case.objects.select_related("org", "resident", "resident__household", "infected_by", "key_person",
                                              "created_by"), actor, uid=uid)


def next_classifications(case: Case) -> set[str]:
    return set(CLASSIFICATION_TRANSITIONS.get(case.classification, ()))


def case_history(*, case: Case) -> QuerySet:
    return case.classification_changes.select_related("actor")


def case_trajectory(*, case: Case) -> QuerySet[TrajectoryEntry]:
    return case.trajectory.all()


def access_trajectory_entry(*, case: Case, entry_id: int) -> TrajectoryEntry:
    """An entry of a case already reached through `access_case` (entries are not people: an id is fine)."""
    return get_object_or_404(case.trajectory.all(), pk=entry_id)


def case_infected(*, actor, case: Case) -> QuerySet[Case]:
    return scoped(case.infected.all(), actor)


def cluster_names(*, actor) -> list[str]:
    return list(scoped(Case.objects.exclude(cluster=""), actor).order_by("cluster").values_list("cluster", flat=True).distinct())


def contact_list(
    *, actor, case: Case | None = None, org: OrgUnit | None = None, kind: str = "", status: str = "", setting: str = "", q: str = "",
) -> QuerySet[Contact]:
    qs = scoped(Contact.objects.select_related("case", "resident", "resident__household", "became_case", "order"), actor)
    if case is not None:
        qs = qs.filter(case=case)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if kind in ContactKind.values:
        qs = qs.filter(kind=kind)
    if status in Contact.Status.values:
        qs = qs.filter(status=status)
    if setting in Setting.values:
        qs = qs.filter(setting=setting)
    if q:
        qs = qs.filter(_person_q(q))
    return qs


def access_contact(*, actor, uid) -> Contact:
    return access(Contact.objects.select_related("case", "resident", "resident__household", "became_case", "key_person", "order"),
                  actor, uid=uid)


# --- transmission chains --------------------------------------------------------------------

def chain_rows(*, actor, include_excluded: bool = False) -> tuple[list[chain_layout.CaseRow], list[chain_layout.ContactRow]]:
    """The scoped cases and contacts as plain rows: two queries, no model instances."""
    cases = scoped(Case.objects.all(), actor)
    if not include_excluded:
        cases = cases.exclude(classification=Classification.EXCLUDED)
    case_rows = [chain_layout.CaseRow(i, str(u), n, c, s, p, cl, o) for i, u, n, c, s, p, cl, o in cases.order_by().values_list(
        "id", "uid", "name", "classification", "infected_by_id", "org_path", "cluster", "onset_date").iterator(chunk_size=5000)]
    contacts = scoped(Contact.objects.all(), actor).order_by().values_list(
        "id", "case_id", "via_contact_id", "kind", "setting", "status", "name", "became_case_id")
    contact_rows = [chain_layout.ContactRow(*row) for row in contacts.iterator(chunk_size=5000)]
    return case_rows, contact_rows


def chains_filtered(chains: list[chain_layout.Chain], *, org: OrgUnit | None = None, cluster: str = "", min_cases: int = 1,
                    limit: int | None = None) -> list[chain_layout.Chain]:
    """Chains with at least one case in `org` and in `cluster`, of at least `min_cases` cases,
    the largest `limit` of them (chains come sorted largest first)."""
    out = []
    for chain in chains:
        if chain.size < min_cases:
            break  # sorted by size: nothing smaller can pass
        if org is not None and not any(c.org_path.startswith(org.path) for c in chain.cases):
            continue
        if cluster and not any(c.cluster == cluster for c in chain.cases):
            continue
        out.append(chain)
        if limit is not None and len(out) >= limit:
            break
    return out


def chain_list(*, actor, org: OrgUnit | None = None, cluster: str = "", min_cases: int = 1, limit: int | None = None,
               include_excluded: bool = False) -> list[chain_layout.Chain]:
    case_rows, contact_rows = chain_rows(actor=actor, include_excluded=include_excluded)
    return chains_filtered(chain_layout.build_chains(case_rows, contact_rows), org=org, cluster=cluster, min_cases=min_cases,
                           limit=limit)


def street_names(*, actor) -> dict[str, str]:
    """{street path: name} of the streets the actor sees, to say where each case is."""
    streets = OrgUnit.objects.filter(level=Level.STREET)
    jurisdiction = actor.jurisdiction
    if jurisdiction is not None and jurisdiction.level != Level.DISTRICT:
        # A street officer's or grid worker's cases all lie in their one street.
        prefix = jurisdiction.path[:2 * PATH_SEGMENT]
        streets = streets.filter(path=prefix)
    else:
        streets = scoped(streets, actor)
    return dict(streets.values_list("path", "name"))


def chain_figure(*, actor, chains: list[chain_layout.Chain]) -> dict:
    """The plotly figure of `chains` (see chains.chain_figure); texts in the reader's language."""
    streets = street_names(actor=actor)
    # Labels resolved once: a lazy label formats through gettext on every one of 25,000 nodes.
    classifications = {k: str(v) for k, v in Classification.choices}
    kinds, settings_, statuses = ({k: str(v) for k, v in choices} for choices in (ContactKind.choices, Setting.choices,
                                                                                     Contact.Status.choices))
    onset = _("onset")

    def case_text(row: chain_layout.CaseRow) -> str:
        parts = [f"<b>{escape(row.name)}</b> · {classifications[row.classification]}"]
        street = streets.get(row.org_path[:2 * PATH_SEGMENT], "")
        detail = " · ".join(p for p in (f"{onset} {row.onset_date}" if row.onset_date else "", street, escape(row.cluster)) if p)
        return "<br>".join([*parts, detail] if detail else parts)

    def contact_text(row: chain_layout.ContactRow) -> str:
        return f"{escape(row.name)} · {kinds[row.kind]} · {settings_[row.setting]}<br>{statuses[row.status]}"

    def chain_label(n: int, chain: chain_layout.Chain) -> str:
        return _("#%(n)d %(name)s: %(cases)d cases, %(contacts)d contacts") % {
            "n": n, "name": escape(chain.root.name), "cases": chain.size, "contacts": len(chain.contacts)}

    labels = {**classifications, chain_layout.CONTACT: _("Case contact"), "contact_links": _("contact of"),
              "infection_links": _("infected by")}
    placed = chain_layout.pack([chain_layout.layout_chain(c) for c in chains])
    return chain_layout.chain_figure(placed, case_text=case_text, contact_text=contact_text, labels=labels,
                                     chain_label=chain_label)
