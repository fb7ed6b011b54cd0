"""Scores on part of a test split never become Hub benchmark entries (.eval_results, model-index)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from medmnist_hub.publish.eval_results import card_with_model_index, write_eval_results
from medmnist_hub.results.hub_format import eval_result_entries, eval_results_yaml, model_index_results
from medmnist_hub.results.records import PartialResultError, make_record, write_record

BENCH = "testorg/medmnist"


def _rec(config="breastmnist", n_examples=None, **kw):
    return make_record(
        model_id="lab/m", config=config, auc=0.9, acc=0.8, n_examples=n_examples, created="2025-03-01", **kw
    )


def test_every_hub_format_refuses_a_partial_record(tmp_path):
    full, cut = _rec("pneumoniamnist"), _rec(n_examples=10)
    assert len(eval_result_entries([full], BENCH)) == 2
    for call in (
        lambda: eval_result_entries([full, cut], BENCH),
        lambda: eval_results_yaml([full, cut], BENCH),
        lambda: model_index_results([full, cut], BENCH),
        lambda: card_with_model_index(None, [full, cut], dataset_repo_id=BENCH, model_name="lab/m"),
        lambda: write_eval_results([full, cut], tmp_path, dataset_repo_id=BENCH),
    ):
        with pytest.raises(PartialResultError, match="breastmnist: evaluated on 10 of the 156 examples"):
            call()
    assert not (tmp_path / ".eval_results").exists()  # nothing written, not even the full record's entries
    flagged = _rec(extra={"partial": True, "notes": "evaluate --limit 200"})
    with pytest.raises(PartialResultError, match="marked partial"):
        eval_result_entries([flagged], BENCH)


@pytest.mark.network_local
def test_publish_model_refuses_partial_records(tmp_path, hub_server, run_cli):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"architecture": "resnet18", "num_classes": 2}))
    save_file({"w": np.zeros((2, 2), dtype=np.float32)}, str(model / "model.safetensors"))
    results = tmp_path / "results"
    write_record(_rec("pneumoniamnist"), results)
    write_record(_rec(n_examples=10), results)
    out = run_cli(
        "publish", "model", "--repo-id", "lab/m", "--folder", str(model), "--results", str(results),
        "--benchmark", BENCH, "--dry-run",
    )  # fmt: skip
    assert out.returncode == 2
    assert "breastmnist: evaluated on 10 of the 156 examples of the official test split" in out.stderr
    assert "Partial scores are never published" in out.stderr
    assert [r for r in hub_server.requests if r.method in ("POST", "PUT")] == []
