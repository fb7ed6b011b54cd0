"""The leaderboard Space card: full citations, the licence of each subset, the clinical-use line."""

from __future__ import annotations

import re

from medmnist_hub.catalog import SUBSETS, bibtex
from medmnist_hub.publish.leaderboard_space import space_card


def _entries(text: str) -> dict[str, str]:
    """BibTeX entries of a text by key, parsed here (not with the package's parser)."""
    return {m.group(1): m.group(0) for m in re.finditer(r"@\w+\{([^,\s]+),.*?\n\}", text, re.S)}


def test_the_space_card_carries_every_citation_licence_and_the_clinical_use_line():
    card = space_card("MedMNIST Leaderboard")
    cited = _entries(card)
    keys = ["yang2023medmnistv2", "yang2021medmnistv1"] + [k for s in SUBSETS.values() for k in s.source_citations]
    assert set(keys) <= set(cited), sorted(set(keys) - set(cited))
    for key in set(keys):  # each entry exactly as the catalog's BibTeX has it
        assert cited[key] == bibtex([key]).strip()
    assert "```bibtex" in card
    for subset in SUBSETS.values():
        assert re.search(rf"^\| {re.escape(subset.name)} \| {re.escape(subset.license)} \|", card, re.M), subset.name
    assert "| DermaMNIST | CC BY-NC 4.0 |" in card
    assert card.lower().count("not for clinical use") == 1
