"""The chain graph: components, the layered layout and the packing, on rows built by hand."""

import random
import time

from lianfang.tracing.chains import (
    CASE,
    CONTACT,
    CaseRow,
    ContactRow,
    build_chains,
    chain_figure,
    layout_chain,
    pack,
)


def case(i, infected_by=None, classification="confirmed", cluster=""):
    return CaseRow(i, f"uid-{i}", f"case{i}", classification, infected_by, "0000000100000002", cluster, None)


def contact(i, case_id, became=None, via=None, kind="close"):
    return ContactRow(i, case_id, via, kind, "household", "quarantined", f"contact{i}", became)


def test_chains_are_the_connected_components_largest_first():
    cases = [case(1), case(2, infected_by=1), case(3), case(4, infected_by=2), case(5)]
    # Contact 12 of case 3 became case 5: 3 and 5 are one chain, though 5 has no infected_by.
    contacts = [contact(10, 1), contact(11, 2), contact(12, 3, became=5), contact(13, 5)]
    chains = build_chains(cases, contacts)
    assert [sorted(c.id for c in ch.cases) for ch in chains] == [[1, 2, 4], [3, 5]]
    assert [ch.root.id for ch in chains] == [1, 3]
    assert [sorted(k.id for k in ch.contacts) for ch in chains] == [[10, 11], [12, 13]]


def test_a_link_to_a_case_not_shown_starts_its_own_chain():
    chains = build_chains([case(2, infected_by=1)], [contact(10, 1)])  # case 1 is outside the reader's area
    assert len(chains) == 1 and chains[0].root.id == 2 and chains[0].contacts == []


def test_the_layout_is_a_layered_tree_with_parents_over_their_children():
    cases = [case(1), case(2, infected_by=1), case(3, infected_by=1)]
    contacts = [contact(10, 1), contact(11, 2), contact(12, 2), contact(13, 2, via=12, kind="secondary"), contact(14, 1, became=3)]
    lay = layout_chain(build_chains(cases, contacts)[0])
    at = {(n.kind, n.row.id): n for n in lay.nodes}
    # Contact 14 is drawn as case 3 which it became.
    assert (CONTACT, 14) not in at and len(lay.nodes) == 7
    assert at[(CASE, 1)].y == 0 and at[(CASE, 2)].y == 1 and at[(CONTACT, 11)].y == 2 and at[(CONTACT, 13)].y == 3
    # Every link goes one level down, and a parent sits midway over its first and last child.
    for n in lay.nodes:
        if n.parent is not None:
            assert n.y == lay.nodes[n.parent].y + 1
    for key in ((CASE, 1), (CASE, 2)):
        parent_index = lay.nodes.index(at[key])
        kids = [n.x for n in lay.nodes if n.parent == parent_index]
        assert at[key].x == (min(kids) + max(kids)) / 2
    leaves = sorted(n.x for n in lay.nodes if all(m.parent != lay.nodes.index(n) for m in lay.nodes))
    assert leaves == [float(i) for i in range(len(leaves))] and lay.width == len(leaves) and lay.height == 4


def test_a_cycle_in_bad_data_is_still_drawn_once():
    lay = layout_chain(build_chains([case(1, infected_by=2), case(2, infected_by=1)], [])[0])
    assert sorted(n.row.id for n in lay.nodes) == [1, 2]


def test_packed_chains_do_not_overlap():
    rnd = random.Random(7)
    cases = [case(i, infected_by=rnd.randint(1, i - 1) if i > 1 and rnd.random() < 0.5 else None) for i in range(1, 300)]
    contacts = [contact(1000 + j, rnd.randint(1, 299)) for j in range(900)]
    placed = pack([layout_chain(c) for c in build_chains(cases, contacts)])
    boxes = [(ox, oy, ox + lay.width, oy + lay.height) for lay, ox, oy in placed]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_the_figure_draws_every_node_once_and_links_in_one_trace():
    cases = [case(1), case(2, infected_by=1, classification="suspected")]
    contacts = [contact(10, 1), contact(11, 2)]
    labels = {"confirmed": "C", "suspected": "S", "asymptomatic": "A", "excluded": "E", CONTACT: "K",
              "contact_links": "cl", "infection_links": "il"}
    fig = chain_figure(pack([layout_chain(c) for c in build_chains(cases, contacts)]), case_text=lambda r: r.name,
                       contact_text=lambda r: r.name, labels=labels, chain_label=lambda n, c: f"#{n}")
    by_name = {t.get("name"): t for t in fig["data"]}
    assert by_name["C"]["customdata"] == ["uid-1"] and by_name["S"]["customdata"] == ["uid-2"]
    assert sorted(by_name["K"]["customdata"]) == ["uid-1", "uid-2"]  # a contact opens its case
    assert by_name["il"]["x"].count(None) == 1 and by_name["cl"]["x"].count(None) == 2
    assert all(t["type"] == "scattergl" for t in fig["data"] if t.get("mode") != "text")


def test_the_layout_of_5000_cases_and_20000_contacts_stays_fast():
    rnd = random.Random(1)
    cases = [case(i, infected_by=rnd.randint(max(1, i - 200), i - 1) if i > 1 and rnd.random() < 0.6 else None)
             for i in range(1, 5001)]
    contacts = [contact(100_000 + j, rnd.randint(1, 5000)) for j in range(20_000)]
    started = time.perf_counter()
    layouts = [layout_chain(c) for c in build_chains(cases, contacts)]
    placed = pack(layouts)
    elapsed = time.perf_counter() - started
    assert sum(len(lay.nodes) for lay, _x, _y in placed) == 25_000
    assert elapsed < 2.0, f"{elapsed:.2f} s"
