"""The model card says what its scores rest on: one seed, or a spread over several.

Rendered from a committed baseline's own spec and result record, so the card text is
checked against what a real run hands the renderer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("huggingface_hub")

from medmnist_hub.model_cards.card import render_model_card  # noqa: E402
from medmnist_hub.results.records import Metrics, read_record  # noqa: E402
from medmnist_hub.training.protocol import ModelSpec  # noqa: E402

RUN = Path(__file__).resolve().parents[2] / "results" / "baselines" / "resnet18-28-breastmnist"


def _inputs():
    summary = json.loads((RUN / "summary.json").read_text())
    record = read_record(next(RUN.glob("*__test.json")))
    return ModelSpec.from_dict(summary["spec"]), record


def test_single_seed_card_does_not_point_at_a_spread_it_lacks():
    spec, record = _inputs()
    card = render_model_card(spec=spec, checkpoint_record=record, model_repo_id="org/m", seed=0)
    assert "one training run (one seed)" in card
    assert "mean ± std over" not in card and "spread over the" not in card
    assert "Not for clinical use" in card


def test_multi_seed_card_shows_mean_std_and_names_the_spread():
    spec, record = _inputs()
    summary = Metrics(auc=0.9, acc=0.85, auc_std=0.012, acc_std=0.02, n_runs=3)
    card = render_model_card(spec=spec, checkpoint_record=record, model_repo_id="org/m", seed=0, seeds_summary=summary)
    assert "| ours, mean ± std over 3 seeds | 0.900 ± 0.012 | 0.850 ± 0.020 |" in card
    assert "spread over the 3 seeds above" in card
    assert "one training run (one seed)" not in card
