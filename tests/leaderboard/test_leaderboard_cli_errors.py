"""A results folder the leaderboard cannot rank ends `leaderboard show` with one line, not a traceback.

Two checkpoints that claim the same ``method`` on the same config and split would be two
scores in one cell; the CLI must name the method and config and exit non-zero.
"""

from __future__ import annotations

import subprocess
import sys

from medmnist_hub.results.records import make_record, write_record


def test_show_with_two_results_for_one_method_and_config_is_one_line(tmp_path):
    records = tmp_path / "results"
    for model_id in ("lab/resnet18-a", "lab/resnet18-b"):
        rec = make_record(
            model_id=model_id, config="pathmnist", auc=0.9, acc=0.8, method="lab/resnet18", created="2025-01-01"
        )
        write_record(rec, records)
    proc = subprocess.run(
        [sys.executable, "-m", "medmnist_hub", "leaderboard", "show", "--records", str(records), "--no-paper"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "two results for 'lab/resnet18'" in lines[0] and "pathmnist" in lines[0]
