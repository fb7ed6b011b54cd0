"""On the real files: the committed reports are what the code finds, and the LSH search misses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support.real_data import REAL_CONFIGS, SHARED_DATA, real_file_or_skip

from medmnist_hub.audit import audit
from medmnist_hub.audit.near import DEFAULT_THRESHOLD, NearIndex, brute_force_pairs
from medmnist_hub.audit.runner import exact_groups, fingerprint_file
from medmnist_hub.catalog import parse_config_name
from medmnist_hub.npz_reader import NpzReader

RESULTS = Path(__file__).resolve().parents[2] / "results" / "audit"


def _essence(report: dict) -> dict:
    return {
        "summary": report["summary"],
        "splits": report["splits"],
        "exact": report["exact_duplicates"]["groups"],
        "near": [p["ids"] for p in report["near_duplicates"]["pairs"]],
        "conflicts": [c["ids"] for c in report["label_conflicts"]],
        "degenerate": report["degenerate"],
        "leak_free": report["leak_free"],
    }


@pytest.mark.parametrize("config", [c for c, _, _ in REAL_CONFIGS])
def test_committed_report_is_what_the_audit_finds(config):
    real_file_or_skip(config)
    committed = json.loads((RESULTS / f"{config}.json").read_text())
    fresh = audit(config, source_dirs=[SHARED_DATA], offline=True, num_proc=1)
    assert fresh["source"]["official"] is True and committed["source"]["official"] is True
    assert _essence(fresh) == _essence(committed)
    assert (RESULTS / f"{config}.md").read_text().startswith(f"# Data audit: `{config}`")


@pytest.mark.parametrize("config", ["breastmnist", "vesselmnist3d"])
def test_lsh_search_finds_every_pair_that_brute_force_finds(config, monkeypatch):
    path = real_file_or_skip(config)
    subset, size = parse_config_name(config)
    with NpzReader(path) as r:
        fp = fingerprint_file(r, subset, size, num_proc=1)
    _, _, reps = exact_groups(fp.digests)
    coefs = fp.coefs[reps]
    found = {(p.a, p.b) for p in NearIndex(coefs, size, subset.is_3d, DEFAULT_THRESHOLD).search()}
    reference = brute_force_pairs(coefs, size, subset.is_3d, DEFAULT_THRESHOLD)
    assert len(reference) > 10 and found == reference
    monkeypatch.setattr("medmnist_hub.audit.near.PAIR_BATCH", 7)  # tiny batches and query chunks: same pairs
    monkeypatch.setattr("medmnist_hub.audit.near.QUERY_CHUNK", 50)
    assert {(p.a, p.b) for p in NearIndex(coefs, size, subset.is_3d, DEFAULT_THRESHOLD).search()} == reference
    assert np.isfinite(coefs.astype(np.float32)).all()


def test_readme_table_is_the_committed_reports():
    from medmnist_hub.audit.report import summary_table

    reports = [json.loads((RESULTS / f"{c}.json").read_text()) for c, _, _ in REAL_CONFIGS]
    readme = (RESULTS.parents[1] / "README.md").read_text()
    assert summary_table(reports) in readme
