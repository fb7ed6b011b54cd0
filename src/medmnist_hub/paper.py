"""The MedMNIST v2 paper's published test AUC/ACC (Tables 3 and 4), as data.

Facts copied from the paper (as published on the official website); each value is the
mean of at least three runs on the v2.0 files.  Model cards and the leaderboard read
them from here.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from .catalog import get_subset

_TABLES = ("paper_table3_2d.tsv", "paper_table4_3d.tsv")


@lru_cache(maxsize=1)
def paper_results() -> dict[str, dict[str, dict[str, float]]]:
    """``{method: {subset_key: {"auc": x, "acc": y}}}`` for every published row."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for table in _TABLES:
        text = resources.files("medmnist_hub").joinpath(f"data/{table}").read_text("utf-8")
        for row in csv.DictReader(text.splitlines(), delimiter="\t"):
            method = row.pop("Method")
            for column, value in row.items():
                name, metric = column.rsplit("_", 1)
                key = get_subset(name).key
                out.setdefault(method, {}).setdefault(key, {})[metric.lower()] = float(value)
    return out


def paper_result(method: str, subset: str) -> dict[str, float] | None:
    return paper_results().get(method, {}).get(get_subset(subset).key)
