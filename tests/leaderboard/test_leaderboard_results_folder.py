"""The board built from the repository's ``results/`` folder, checked cell by cell.

Issue 7 asks for the leaderboard computed from the real baseline results and "checked by
hand against the per-dataset numbers".  The hand check is written down here:

- for every ``results/baselines/*/summary.json`` (the training run's own summary, next to
  the record it wrote), the board's displayed AUC and ACC cells of that method on that
  dataset are the summary's ``test_mean`` as the board prints it (three decimals);
- a method's row is ranked, with the means of its datasets, only when its full-split
  results cover all 12 (2D) or 6 (3D) datasets; otherwise it is unranked and has no mean;
- the paper's rows of the same board reproduce the published tables in
  ``/work/shared/reference`` cell by cell, and their means are the means of those values.

Whatever baselines are present (none, two, or all of them as training finishes) the
check runs on them; a synthetic results tree shows that it fails when a cell disagrees.
"""

from __future__ import annotations

import csv
import json
import shutil
import statistics
from pathlib import Path

import numpy as np
import pytest
from leaderboard_support import REPO, reference_table_or_skip

from medmnist_hub.catalog import SUBSETS_2D, SUBSETS_3D, get_subset, parse_config_name
from medmnist_hub.leaderboard.aggregate import Leaderboard, build_leaderboard
from medmnist_hub.leaderboard.render import dataset_table, summary_table
from medmnist_hub.results.records import make_record, read_records, write_record

RESULTS = REPO / "results"
REQUIRED = {"2d": SUBSETS_2D, "3d": SUBSETS_3D}
PAPER_TABLES = {"paper_table3_2d.tsv": "2d", "paper_table4_3d.tsv": "3d"}


def _group(subset: str) -> str:
    return "3d" if get_subset(subset).is_3d else "2d"


def _displayed(lb: Leaderboard, group: str) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """What the board prints: {row id: {column: cell}} of the per-dataset table and of the ranking table."""
    header, body = dataset_table(lb, group)
    cells = {row.model_id: dict(zip(header, line)) for row, line in zip(lb.rows(group), body)}
    header, body = summary_table(lb, group)
    ranking = {row.model_id: dict(zip(header, line)) for row, line in zip(lb.rows(group), body)}
    return cells, ranking


def _baselines(results: Path) -> list[tuple[Path, dict, dict]]:
    """(summary file, summary, the test record beside it) for every baseline summary."""
    found = []
    for path in sorted(results.glob("baselines/*/summary.json")):
        summary = json.loads(path.read_text("utf-8"))
        config = summary["spec"]["config"]
        beside = [
            r
            for r in read_records(path.parent, schema_only=True)
            if r.dataset.config == config and r.dataset.split == "test"
        ]
        assert len(beside) == 1, f"{path.parent}: expected one test record of {config} beside summary.json"
        found.append((path, summary, beside[0]))
    return found


def check_baselines(results: Path) -> int:
    """Assert the board agrees with every baseline summary under ``results``; return how many were checked."""
    records = read_records(results, schema_only=True)
    boards: dict[int, Leaderboard] = {}

    def board(size: int) -> Leaderboard:
        if size not in boards:
            boards[size] = build_leaderboard(records, size=size)
        return boards[size]

    summaries: dict[tuple[str, int, str], dict[str, dict]] = {}
    baselines = _baselines(results)
    for path, summary, rec in baselines:
        subset, size = parse_config_name(summary["spec"]["config"])
        group = _group(subset.key)
        row_id = rec.model.method or rec.model.id
        cells, _ = _displayed(board(size), group)
        assert row_id in cells, f"{path}: no row {row_id!r} on the {size} px {group.upper()} board"
        for metric in ("auc", "acc"):
            shown = cells[row_id][f"{subset.name} {metric.upper()}"]
            expected = f"{summary['test_mean'][metric]:.3f}"
            assert shown == expected, (
                f"{path}: the board shows {metric.upper()} {shown} for {row_id!r} on {subset.key}, "
                f"the summary's test_mean is {expected}"
            )
        summaries.setdefault((row_id, size, group), {})[subset.key] = summary["test_mean"]

    # Ranked exactly when the row's full-split test results (counted here from the records,
    # not by the aggregator) cover every dataset of the group.
    for (row_id, size, group), by_subset in summaries.items():
        row = next(r for r in board(size).rows(group) if r.model_id == row_id)
        _, ranking = _displayed(board(size), group)
        covered = {
            r.dataset.subset
            for r in records
            if (r.model.method or r.model.id) == row_id
            and r.dataset.size == size
            and r.dataset.split == "test"
            and not r.is_partial
        }
        if set(REQUIRED[group]) <= covered:
            assert row.rank is not None, f"{row_id!r} covers every {group.upper()} dataset but is not ranked"
            if set(REQUIRED[group]) <= set(by_subset):  # every dataset from a summary: the means are theirs
                for metric in ("auc", "acc"):
                    mean = statistics.fmean(by_subset[s][metric] for s in REQUIRED[group])
                    assert ranking[row_id][f"Mean {metric.upper()}"] == f"{mean:.3f}", (row_id, metric)
        else:
            missing = sorted(set(REQUIRED[group]) - covered)
            assert row.rank is None and row.mean("auc") is None, f"{row_id!r} is ranked without {missing}"
            assert ranking[row_id]["Rank"] in ("incomplete", "partial")
            assert ranking[row_id]["Mean AUC"] == ranking[row_id]["Mean ACC"] == "—"
    return len(baselines)


def check_paper_rows(results: Path, reference_dir: Path | None = None) -> None:
    """Assert the paper's rows of the board built from ``results`` are the published tables, cell by cell."""
    lb = build_leaderboard(read_records(results, schema_only=True), size=28)
    for table, group in PAPER_TABLES.items():
        lines = list(
            csv.reader(reference_table_or_skip(table, reference_dir).read_text("utf-8").splitlines(), delimiter="\t")
        )
        header, published = lines[0], lines[1:]
        cells, ranking = _displayed(lb, group)
        rows = {r.name: r for r in lb.rows(group) if r.reference}
        for line in published:
            row = rows.get(line[0])
            assert row is not None, f"{table}: no reference row {line[0]!r} on the {group.upper()} board"
            assert row.rank is None and row.complete
            values: dict[str, list[float]] = {"AUC": [], "ACC": []}
            for column, value in zip(header[1:], line[1:]):
                name, metric = column.rsplit("_", 1)
                assert cells[row.model_id][f"{name} {metric}"] == value, (table, line[0], column)
                values[metric].append(float(value))
            for metric, vals in values.items():
                assert len(vals) == len(REQUIRED[group])
                assert ranking[row.model_id][f"Mean {metric}"] == f"{statistics.fmean(vals):.3f}", (line[0], metric)
                assert row.mean(metric.lower()) == pytest.approx(statistics.fmean(vals), abs=1e-12)
        assert set(rows) >= {line[0] for line in published}


# --------------------------------------------------------------------------- the repository's results/
def test_the_board_from_the_repository_results_agrees_with_every_baseline_summary():
    checked = check_baselines(RESULTS)
    assert checked == len(list(RESULTS.glob("baselines/*/summary.json")))


def test_the_board_from_the_repository_results_reproduces_the_published_tables():
    assert (RESULTS / "paper").is_dir(), "results/paper (the paper's rows as records) is part of the repository"
    check_paper_rows(RESULTS)


# --------------------------------------------------------------------------- the checks themselves can fail
def _synthetic_results(root: Path, subsets, method="lab/resnet18-28") -> Path:
    """A results tree laid out like the repository's: paper/ and baselines/<name>/{summary.json, record}."""
    shutil.copytree(RESULTS / "paper", root / "paper")
    rng = np.random.default_rng(7)
    for s in subsets:
        runs = [{"seed": k, "auc": float(rng.uniform(0.6, 1)), "acc": float(rng.uniform(0.4, 1))} for k in range(3)]
        rec = make_record(
            model_id=f"{method}-{s}",
            method=method,
            model_name="ResNet-18 (28) [lab]",
            config=s,
            runs=runs,
            created="2025-01-01",
            source="test",
        )
        folder = root / "baselines" / f"resnet18-28-{s}"
        write_record(rec, folder)
        test_mean = {m: float(np.mean([r[m] for r in runs])) for m in ("auc", "acc")}
        summary = {"name": folder.name, "spec": {"subset": s, "config": s}, "test_mean": test_mean}
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return root


def _edit_record(path: Path, **metrics) -> None:
    rec = json.loads(path.read_text())
    rec["metrics"].update(metrics)
    rec["runs"] = []
    path.write_text(json.dumps(rec))


def test_the_baseline_check_ranks_a_complete_method_and_fails_on_a_wrong_cell(tmp_path):
    results = _synthetic_results(tmp_path / "results", SUBSETS_2D + SUBSETS_3D[:2])
    assert check_baselines(results) == 14
    lb = build_leaderboard(read_records(results, schema_only=True))
    assert [r.rank for r in lb.rows("2d") if r.model_id == "lab/resnet18-28"] == [1]
    assert [r.rank for r in lb.rows("3d") if r.model_id == "lab/resnet18-28"] == [None]

    folder = results / "baselines" / "resnet18-28-dermamnist"
    summary = json.loads((folder / "summary.json").read_text())
    (record,) = [p for p in folder.glob("*.json") if p.name != "summary.json"]
    _edit_record(record, auc=round(summary["test_mean"]["auc"] + 0.01, 6))
    with pytest.raises(AssertionError, match="the board shows AUC .* on dermamnist, the summary's test_mean is"):
        check_baselines(results)


def test_the_baseline_check_fails_when_an_incomplete_method_would_be_ranked(tmp_path, monkeypatch):
    results = _synthetic_results(tmp_path / "results", SUBSETS_2D[:11])
    assert check_baselines(results) == 11  # 11 of 12: shown, not ranked
    # An aggregator that ranked rows with holes would be caught.
    import medmnist_hub.leaderboard.aggregate as aggregate

    monkeypatch.setattr(aggregate.Row, "complete", property(lambda self: True))
    monkeypatch.setattr(aggregate.Row, "mean", lambda self, metric: 0.5)
    with pytest.raises(AssertionError, match="is ranked without \\['organsmnist'\\]"):
        check_baselines(results)


def test_the_paper_check_fails_on_a_wrong_published_cell(tmp_path):
    results = _synthetic_results(tmp_path / "results", [])
    check_paper_rows(results)
    reference = tmp_path / "reference"
    reference.mkdir()
    for table in PAPER_TABLES:
        shutil.copy(reference_table_or_skip(table), reference / table)
    _edit_record(results / "paper" / "medmnist-v2-paper--resnet-18-28__bloodmnist__test.json", auc=0.5)
    with pytest.raises(AssertionError, match="'ResNet-18 \\(28\\)', 'BloodMNIST_AUC'"):
        check_paper_rows(results, reference)
