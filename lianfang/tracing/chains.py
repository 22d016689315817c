"""Transmission chains: the connected components of "infected by" and "contact of" links, laid
out on the server as one layered tree per chain, chains packed in rows, largest first.

Everything here works on plain rows already read (and scoped) by the selectors, in time linear
in cases + contacts (plus sorting the chains), so that 5,000 cases with 20,000 contacts stay a
few hundred milliseconds (benchmarks/tracing.py). A chain is named by its first case (the
earliest root) and its size is its number of cases."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple


class CaseRow(NamedTuple):
    id: int
    uid: str
    name: str
    classification: str
    infected_by_id: int | None
    org_path: str
    cluster: str
    onset_date: dt.date | None


class ContactRow(NamedTuple):
    id: int
    case_id: int
    via_contact_id: int | None
    kind: str
    setting: str
    status: str
    name: str
    became_case_id: int | None


@dataclass
class Chain:
    cases: list[CaseRow]
    contacts: list[ContactRow]
    # case id -> the case it was infected by, inside the chain (None for roots).
    parent_of: dict[int, int | None] = field(default_factory=dict)

    @property
    def root(self) -> CaseRow:
        return self.cases[0]

    @property
    def size(self) -> int:
        return len(self.cases)

    def sort_key(self):
        return (-len(self.cases), -len(self.contacts), self.root.id)


def _find(parent: dict[int, int], x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression
        parent[x], x = root, parent[x]
    return root


def build_chains(cases: Iterable[CaseRow], contacts: Iterable[ContactRow]) -> list[Chain]:
    """Group cases and contacts into chains, largest first. Links to cases that are not in
    `cases` (outside the reader's jurisdiction, or excluded) are left out: such a case starts
    its own chain here."""
    by_id = {c.id: c for c in cases}
    parent = {i: i for i in by_id}

    def union(a: int, b: int) -> None:
        ra, rb = _find(parent, a), _find(parent, b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for case in by_id.values():
        if case.infected_by_id in by_id:
            union(case.id, case.infected_by_id)
    kept_contacts = []
    for contact in contacts:
        if contact.case_id not in by_id:
            continue
        if contact.became_case_id is not None and contact.became_case_id in by_id:
            union(contact.case_id, contact.became_case_id)
        kept_contacts.append(contact)
    groups: dict[int, Chain] = {}
    for case in sorted(by_id.values(), key=lambda c: c.id):
        root = _find(parent, case.id)
        chain = groups.get(root)
        if chain is None:
            chain = groups[root] = Chain(cases=[], contacts=[])
        chain.cases.append(case)
        chain.parent_of[case.id] = case.infected_by_id if case.infected_by_id in by_id else None
    for contact in kept_contacts:
        groups[_find(parent, contact.case_id)].contacts.append(contact)
    chains = list(groups.values())
    for chain in chains:
        # Name the chain by its earliest root case (a chain with a cycle has no root: its first case).
        roots = [c for c in chain.cases if chain.parent_of[c.id] is None]
        first = roots[0] if roots else chain.cases[0]
        if first is not chain.cases[0]:
            chain.cases.remove(first)
            chain.cases.insert(0, first)
    chains.sort(key=Chain.sort_key)
    return chains


# --- layout ---------------------------------------------------------------------------------

CASE, CONTACT = "case", "contact"


class Placed(NamedTuple):
    kind: str  # CASE or CONTACT
    row: CaseRow | ContactRow
    x: float
    y: float
    parent: int | None  # index of the parent in the placed list


@dataclass
class ChainLayout:
    chain: Chain
    nodes: list[Placed]
    width: int
    height: int


def layout_chain(chain: Chain) -> ChainLayout:
    """A layered tree: a case's infected cases and its contacts one level below it. Leaves take
    consecutive slots; a parent sits midway over its first and last child. Iterative, so a chain
    a thousand generations long does not hit Python's recursion limit."""
    case_ids = {c.id for c in chain.cases}
    became = {c.id: c.became_case_id for c in chain.contacts if c.became_case_id in case_ids}
    # Tree nodes: ("case", row) or ("contact", row); children lists by node key.
    children: dict[tuple[str, int], list[tuple[str, object]]] = {}
    for case in chain.cases:
        p = chain.parent_of[case.id]
        if p is not None:
            children.setdefault((CASE, p), []).append((CASE, case))
    contact_ids = {c.id for c in chain.contacts}
    for contact in chain.contacts:
        if contact.id in became:
            continue  # drawn as the case they became
        via = contact.via_contact_id
        if via in became:
            key = (CASE, became[via])
        elif via in contact_ids:
            key = (CONTACT, via)
        else:
            key = (CASE, contact.case_id)
        children.setdefault(key, []).append((CONTACT, contact))

    # 1. Pre-order walk with an explicit stack (a chain a thousand generations long must not hit
    #    the recursion limit); `seen` guards against cycles in bad data.
    order: list[tuple[str, object, int, int | None]] = []  # (kind, row, depth, parent index)
    first_child: dict[int, int] = {}
    last_child: dict[int, int] = {}
    seen: set[tuple[str, int]] = set()
    # Roots first; cases cut off by a cycle (no root reaches them) become roots afterwards.
    starts = [c for c in chain.cases if chain.parent_of[c.id] is None] + list(chain.cases)
    for start in starts:
        if (CASE, start.id) in seen:
            continue
        seen.add((CASE, start.id))
        stack: list[tuple[str, object, int, int | None]] = [(CASE, start, 0, None)]
        while stack:
            kind, row, depth, parent = stack.pop()
            index = len(order)
            order.append((kind, row, depth, parent))
            if parent is not None:
                first_child.setdefault(parent, index)
                last_child[parent] = index
            kids = [k for k in children.get((kind, row.id), ()) if (k[0], k[1].id) not in seen]
            for k in kids:
                seen.add((k[0], k[1].id))
            for k in reversed(kids):  # the first child is popped, and laid out, first
                stack.append((k[0], k[1], depth + 1, index))
    # 2. Leaves take consecutive slots in walk order; 3. parents sit midway over their children
    #    (children come after their parent in the walk, so a reverse pass sees them first).
    xs = [0.0] * len(order)
    slot = 0
    for i in range(len(order)):
        if i not in first_child:
            xs[i] = float(slot)
            slot += 1
    for i in range(len(order) - 1, -1, -1):
        if i in first_child:
            xs[i] = (xs[first_child[i]] + xs[last_child[i]]) / 2
    nodes = [Placed(kind, row, xs[i], float(depth), parent) for i, (kind, row, depth, parent) in enumerate(order)]
    height = max((n.y for n in nodes), default=0) + 1
    return ChainLayout(chain=chain, nodes=nodes, width=max(slot, 1), height=int(height))


def pack(layouts: list[ChainLayout], *, gap: float = 1.0) -> list[tuple[ChainLayout, float, float]]:
    """Shelf packing in the given order (largest first): rows about as wide as the drawing is
    tall, so the overview is roughly square. Returns (layout, x offset, y offset); y grows down."""
    if not layouts:
        return []
    area = sum((lay.width + gap) * (lay.height + gap) for lay in layouts)
    row_width = max(max(lay.width for lay in layouts), area ** 0.5 * 1.6)
    placed, x, y, row_height = [], 0.0, 0.0, 0.0
    for lay in layouts:
        if x > 0 and x + lay.width > row_width:
            x, y, row_height = 0.0, y + row_height + gap * 2, 0.0
        placed.append((lay, x, y))
        x += lay.width + gap
        row_height = max(row_height, lay.height)
    return placed


# --- the plotly figure ----------------------------------------------------------------------

# Colours follow the usual reading: confirmed red, asymptomatic orange, suspected amber.
CASE_STYLE = {
    "confirmed": "#b3261e", "asymptomatic": "#e8710a", "suspected": "#f2b600", "excluded": "#9aa0a6",
}
CONTACT_COLOR = "#1a73e8"
LABELLED_CHAINS = 12  # chains named on the drawing (more only overlap); the rest by hovering


def chain_figure(placed: list[tuple[ChainLayout, float, float]], *, case_text, contact_text, labels: dict, chain_label) -> dict:
    """The plotly figure (as a dict, ready for JSON) of packed chains: one WebGL trace per case
    classification and one for contacts, two line traces for the links (None between segments,
    so 20,000 links are one trace, not 20,000). `customdata` holds the case uid a click opens."""
    traces = {k: {"x": [], "y": [], "text": [], "customdata": []} for k in [*CASE_STYLE, CONTACT]}
    lines = {CASE: ([], []), CONTACT: ([], [])}
    label_x, label_y, label_text = [], [], []
    for n, (lay, ox, oy) in enumerate(placed):
        nodes = lay.nodes
        uid_of_case = {}
        for node in nodes:
            if node.kind == CASE:
                uid_of_case[node.row.id] = node.row.uid
        for node in nodes:
            x, y = ox + node.x, -(oy + node.y)
            if node.kind == CASE:
                t = traces[node.row.classification]
                t["text"].append(case_text(node.row))
                t["customdata"].append(node.row.uid)
            else:
                t = traces[CONTACT]
                t["text"].append(contact_text(node.row))
                t["customdata"].append(uid_of_case.get(node.row.case_id, ""))
            t["x"].append(x)
            t["y"].append(y)
            if node.parent is not None:
                p = nodes[node.parent]
                lx, ly = lines[node.kind]
                lx.extend((ox + p.x, x, None))
                ly.extend((-(oy + p.y), y, None))
        if n < LABELLED_CHAINS:
            label_x.append(ox)
            label_y.append(-oy + 0.6)
            label_text.append(chain_label(n + 1, lay.chain))
    data = [
        {"type": "scattergl", "mode": "lines", "name": str(labels["contact_links"]), "x": lines[CONTACT][0], "y": lines[CONTACT][1],
         "line": {"color": "#c3cad4", "width": 1}, "hoverinfo": "skip"},
        {"type": "scattergl", "mode": "lines", "name": str(labels["infection_links"]), "x": lines[CASE][0], "y": lines[CASE][1],
         "line": {"color": "#5b6472", "width": 2}, "hoverinfo": "skip"},
        {"type": "scattergl", "mode": "markers", "name": str(labels[CONTACT]), **traces[CONTACT],
         "marker": {"color": CONTACT_COLOR, "size": 5}, "hoverinfo": "text"},
    ]
    for classification, color in CASE_STYLE.items():
        if traces[classification]["x"]:
            data.append({"type": "scattergl", "mode": "markers", "name": str(labels[classification]), **traces[classification],
                         "marker": {"color": color, "size": 9, "line": {"color": "#fff", "width": 1}}, "hoverinfo": "text"})
    data.append({"type": "scatter", "mode": "text", "x": label_x, "y": label_y, "text": label_text, "textposition": "top right",
                 "hoverinfo": "skip", "showlegend": False, "textfont": {"size": 11, "color": "#1d2430"}})
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    layout = {
        "xaxis": axis, "yaxis": {**axis, "scaleanchor": "x", "scaleratio": 1},
        "margin": {"l": 4, "r": 4, "t": 4, "b": 4}, "hovermode": "closest", "dragmode": "pan",
        "legend": {"orientation": "h", "y": 1, "yanchor": "bottom"}, "plot_bgcolor": "#fff", "paper_bgcolor": "#fff",
    }
    return {"data": data, "layout": layout}
