"""The benchmark runner never lets a partial run replace the committed full table."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_only_runs_write_outside_the_committed_results(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    from bench.__main__ import default_output

    assert default_output(None) == REPO / "bench" / "RESULTS.md"
    partial = default_output(["metric", "hf"])
    assert partial != REPO / "bench" / "RESULTS.md"
    assert partial.parent == REPO / "out" / "bench" and partial.name == "RESULTS-metric-hf.md"
