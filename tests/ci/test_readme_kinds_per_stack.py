"""Which fault kinds work on which kind of stack, as README's table says: derived from what each kind needs
and what each backend offers (the declarations validation refuses from), so the table cannot drift."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from faults.capabilities import NetworkIsolation, NetworkLinks
from faults.kinds import FAULT_KINDS
from harness.backend_offers import COMPOSE, DOCKER, EXTERNAL, LOCAL, PROCESSES, BackendOffer, refusal

README = Path(__file__).resolve().parents[2] / "README.md"
HEADER = "| fault kinds | reference, local | reference, docker | compose | processes | external |"


def _linked(offer: BackendOffer, linked: frozenset) -> BackendOffer:
    """The offer of a stack that declares a link (what `backend_offer` makes of one)."""
    return replace(offer, capabilities=offer.capabilities | linked, linked=linked, links=frozenset({"n"}))


OFFERS = (
    LOCAL,
    DOCKER,
    _linked(COMPOSE, frozenset({NetworkLinks})),
    _linked(PROCESSES, frozenset({NetworkLinks, NetworkIsolation})),
    _linked(EXTERNAL, frozenset({NetworkLinks, NetworkIsolation})),
)


def support() -> list[tuple[list[str], list[str]]]:
    """Kinds with the same support on every stack, grouped, in registry order: "yes", "link" (only on a
    node behind a declared link) or "—"."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, kind in FAULT_KINDS.items():
        cells = tuple(
            "—" if refusal(name, kind.needs, offer) else "link" if kind.needs & offer.linked else "yes"
            for offer in OFFERS
        )
        groups.setdefault(cells, []).append(name)
    return [(kinds, list(cells)) for cells, kinds in groups.items()]


def table_rows() -> list[str]:
    return [f"| {', '.join(f'`{k}`' for k in kinds)} | {' | '.join(cells)} |" for kinds, cells in support()]


def test_readme_says_which_fault_kinds_work_on_which_stack():
    text = README.read_text(encoding="utf-8")
    start = text.index(HEADER)
    lines = text[start:].splitlines()[2:]
    documented = lines[: next(i for i, line in enumerate(lines) if not line.startswith("|"))]
    assert documented == table_rows(), "\n".join(["README's table should read:", HEADER, *table_rows()])


def test_every_stack_offers_something_and_no_kind_is_left_without_a_stack():
    cells = [cells for _, cells in support()]
    assert all(any(row[i] != "—" for row in cells) for i in range(len(OFFERS)))
    assert all(any(cell != "—" for cell in row) for row in cells)
    assert re.search(r"`action`[^|]*\| yes \| yes \| yes \| yes \| yes \|", "\n".join(table_rows()))
