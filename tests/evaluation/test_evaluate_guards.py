"""What ``evaluate`` refuses or flags: partial test sets (--limit), label orders, split names.

Real files (BreastMNIST, RetinaMNIST) and timm's tiny ``test_resnet`` exported in the
baselines' format; every score is compared with the same model evaluated the plain way.
"""

from __future__ import annotations

import yaml
from evaluation_support import require_module, timm_checkpoint
from support.real_data import SHARED_DATA, real_file_or_skip

torch = require_module("torch")
timm = require_module("timm")

from medmnist_hub.cli import main  # noqa: E402
from medmnist_hub.leaderboard.records import is_partial, read_records  # noqa: E402


def _evaluate(model_dir, out, *extra: str) -> int:
    return main(
        ["evaluate", str(model_dir), "--subsets", "breastmnist", "--source-dir", str(SHARED_DATA), "--offline",
         "--out", str(out), "--model-id", "lab/tiny", *extra]
    )  # fmt: skip


def test_limit_keeps_a_flagged_local_record_and_writes_no_eval_results(tmp_path, capsys):
    real_file_or_skip("breastmnist")
    model_dir, _ = timm_checkpoint(tmp_path, "breastmnist")
    out = tmp_path / "partial"
    assert _evaluate(model_dir, out, "--limit", "20") == 0
    printed = capsys.readouterr().out
    (rec,) = read_records(out, schema_only=True)
    assert rec["dataset"]["n_examples"] == 20 and is_partial(rec)
    assert rec["extra"]["partial"] is True
    assert rec["extra"]["notes"] == "evaluated on the first 20 of the 156 test examples (--limit 20): not a benchmark result"
    assert not (out / "lab--tiny" / ".eval_results").exists()
    assert "no .eval_results written: breastmnist: evaluated on 20 of the 156 examples" in printed
    assert "to submit" not in printed

    # A limit at least as large as the split is the whole split: a normal, publishable result.
    full = tmp_path / "full"
    assert _evaluate(model_dir, full, "--limit", "1000") == 0
    (rec,) = read_records(full, schema_only=True)
    assert rec["dataset"]["n_examples"] == 156 and not is_partial(rec) and "extra" not in rec
    entries = yaml.safe_load((full / "lab--tiny" / ".eval_results" / "medmnist.yaml").read_text())
    assert [e["dataset"]["task_id"] for e in entries] == ["breastmnist_auc", "breastmnist_acc"]
