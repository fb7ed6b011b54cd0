"""The terms every card that shows MedMNIST results carries: licences, clinical-use line, citations.

Written once, from the catalog (licence and citation keys of each subset), for the cards
this package generates around results: the leaderboard Space card and the minimal model
card ``publish model`` writes when a model folder has none.
"""

from __future__ import annotations

from collections.abc import Iterable

from .catalog import MEDMNIST_CITATION_KEYS, SUBSETS, bibtex, get_subset

CLINICAL_USE_LINE = (
    "**Research and education only: not for clinical use.** MedMNIST is a low-resolution research benchmark; "
    "nothing here is a medical device or fit for diagnosis."
)


def citation_keys(subsets: Iterable[str]) -> list[str]:
    """MedMNIST v2 and v1, then the source-dataset papers of ``subsets``, without repeats."""
    keys = list(MEDMNIST_CITATION_KEYS)
    for name in subsets:
        keys += get_subset(name).source_citations
    return list(dict.fromkeys(keys))


def licence_table(subsets: Iterable[str]) -> str:
    """A Markdown table: each subset and its licence (DermaMNIST is non-commercial)."""
    lines = ["| Subset | Licence | Terms |", "|---|---|---|"]
    for name in subsets:
        s = get_subset(name)
        lines.append(f"| {s.name} | {s.license} | [{s.license_id}]({s.license_url}) |")
    return "\n".join(lines)


def data_terms_markdown(
    subsets: Iterable[str] | None = None, *, heading_level: int = 2, clinical_use_line: bool = True
) -> str:
    """Sections "Data licences" and "Citation" (full BibTeX) for ``subsets`` (all 18 by default).

    ``clinical_use_line=False`` when the card already says it higher up.
    """
    names = [get_subset(s).key for s in subsets] if subsets is not None else list(SUBSETS)
    h = "#" * heading_level
    return (
        f"{h} Data licences\n\n"
        "Each MedMNIST subset keeps the licence of its source data; results on a subset are subject to it.\n\n"
        f"{licence_table(names)}\n\n"
        + (f"{CLINICAL_USE_LINE}\n\n" if clinical_use_line else "")
        + f"{h} Citation\n\n"
        "Cite MedMNIST v2 and v1 and the source dataset of every subset you use:\n\n"
        f"```bibtex\n{bibtex(citation_keys(names)).strip()}\n```\n"
    )
