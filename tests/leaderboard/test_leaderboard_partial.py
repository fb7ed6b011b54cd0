"""Scores on part of a test split (``evaluate --limit``) are shown, flagged, and never ranked."""

from __future__ import annotations

import json

from medmnist_hub.catalog import SUBSETS_2D
from medmnist_hub.leaderboard.aggregate import build_leaderboard
from medmnist_hub.leaderboard.paper import paper_records
from medmnist_hub.leaderboard.render import status_label, to_html, to_json_text, to_markdown
from medmnist_hub.results.records import make_record


def _model(model_id, subsets, auc=0.9, acc=0.8, n_examples=None, **kw):
    return [
        make_record(
            model_id=model_id,
            config=s,
            auc=auc,
            acc=acc,
            n_examples=n_examples.get(s) if n_examples else None,
            created="2025-01-01",
            source="test",
            **kw,
        )
        for s in subsets
    ]


def test_partial_means_fewer_examples_than_the_official_split_or_an_explicit_flag():
    full = _model("m/x", ["breastmnist"])[0]
    assert full.dataset.n_examples == 156 and not full.is_partial and full.partial_reason is None
    cut = _model("m/x", ["breastmnist"], n_examples={"breastmnist": 100})[0]
    assert cut.is_partial
    assert cut.partial_reason == "breastmnist: evaluated on 100 of the 156 examples of the official test split"
    flagged = _model("m/x", ["breastmnist"], extra={"partial": True, "notes": "smoke test"})[0]
    assert flagged.is_partial and "smoke test" in flagged.partial_reason
    for ref in paper_records():  # published numbers carry no count: not partial
        assert not ref.is_partial


def test_a_partial_dataset_keeps_the_model_out_of_the_ranking():
    cut = {"bloodmnist": 10}
    recs = (
        _model("a/full", SUBSETS_2D, auc=0.90, acc=0.80)
        + _model("b/limited", SUBSETS_2D, auc=0.99, acc=0.99, n_examples=cut)  # would win, but one set is partial
        + paper_records()
    )
    lb = build_leaderboard(recs)
    rows = lb.rows("2d")
    assert [(r.rank, r.model_id) for r in rows if r.rank is not None] == [(1, "a/full")]
    limited = next(r for r in rows if r.model_id == "b/limited")
    assert limited.rank is None and limited.mean("auc") is None and not limited.complete
    assert limited.missing == [] and limited.partial == ["bloodmnist"]
    assert rows[-1] is limited  # after every complete row, like an incomplete one
    assert status_label(limited) == "partial test set: bloodmnist (not ranked)"
    # The cell is still shown, marked.
    assert "| partial | b/limited |  | — | — | 12/12 | partial test set: bloodmnist (not ranked) |" in to_markdown(lb)
    assert "0.990*" in to_markdown(lb) and "0.990*" in to_html(lb)
    row = next(r for r in json.loads(to_json_text(lb))["boards"]["2d"] if r["model"]["id"] == "b/limited")
    assert row["rank"] is None and row["mean"] is None and row["partial"] == ["bloodmnist"]
    assert row["scores"]["bloodmnist"]["partial"] is True and row["scores"]["pathmnist"]["partial"] is False
    # Not in the plot of the means either.
    assert limited not in [r for r in rows if r.complete]
