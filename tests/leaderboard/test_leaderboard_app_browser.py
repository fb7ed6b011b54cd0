"""The leaderboard Space, started on 127.0.0.1 and driven in headless Chromium (Playwright).

Gradio cannot go into the main venv (every Gradio 5/6 release caps pillow below the
pinned 13.0.0), so the app runs in its own venv, ``.venv-leaderboard`` (gradio +
playwright), with Debian's ``chromium``: see the README's leaderboard section for the set-up.  The
test builds a real Space folder (vendored code + records), runs tests/leaderboard/
browser_driver.py in that venv, and checks what the browser rendered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.real_data import in_ci

from medmnist_hub.catalog import SUBSETS_2D, SUBSETS_3D
from medmnist_hub.leaderboard.aggregate import build_leaderboard
from medmnist_hub.leaderboard.paper import paper_records
from medmnist_hub.leaderboard.render import display_name
from medmnist_hub.publish.leaderboard_space import write_space
from medmnist_hub.results.records import make_record, read_records, write_record

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("browser_driver.py")
APP_PYTHON = Path(os.environ.get("MEDMNIST_LEADERBOARD_PYTHON", REPO / ".venv-leaderboard" / "bin" / "python"))
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def _need(path: Path, what: str) -> None:
    if not path.exists():
        msg = f"{what} not found at {path} (see the README's leaderboard section: make chromium leaderboard-venv)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.mark.network_local
@pytest.mark.slow
def test_space_app_renders_the_board_in_headless_chromium(tmp_path):
    _need(APP_PYTHON, "the leaderboard venv's python")
    _need(CHROMIUM, "chromium")
    records = tmp_path / "records"
    for s in SUBSETS_2D:  # a complete 2D model that beats every paper row on AUC
        write_record(
            make_record(model_id="lab/resnet-great", config=s, auc=0.95, acc=0.80, created="2025-02-01"), records
        )
    for s in SUBSETS_3D[:2]:  # a 3D model with holes: no mean, not ranked
        write_record(
            make_record(model_id="lab/partial-3d", config=s, auc=0.99, acc=0.99, created="2025-02-01"), records
        )
    space = write_space(tmp_path / "space", record_paths=[records])
    shots = tmp_path / "shots"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(CHROMIUM=str(CHROMIUM), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    env.pop("MEDMNIST_BENCHMARK", None)
    proc = subprocess.run(
        [str(APP_PYTHON), str(DRIVER), str(space), str(shots)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["url"].startswith("http://127.0.0.1:")

    b2 = out["board_2d"]
    assert b2["headers"][:6] == ["Rank", "Model", "Protocol", "Mean AUC", "Mean ACC", "Status"]
    assert b2["headers"][6:8] == ["PathMNIST AUC", "PathMNIST ACC"] and len(b2["headers"]) == 6 + 24
    first = b2["rows"][0]
    assert first[:6] == ["1", "lab/resnet-great", "—", "0.95", "0.8", "complete"]
    by_name = {r[1]: r for r in b2["rows"]}
    # The paper's rows, marked and unranked, with the per-dataset values of Table 3.
    resnet = by_name["ResNet-18 (28) †"]
    assert resnet[:5] == ["ref", "ResNet-18 (28) †", "28", "0.922", "0.819"]
    assert resnet[6:8] == ["0.983", "0.907"]
    assert len(b2["rows"]) == 8

    # Sorted in the browser by PathMNIST AUC, ascending: auto-sklearn (0.934) first, ours (0.95) third.
    sorted_rows = out["board_2d_sorted_pathmnist_auc"]["rows"]
    assert [r[6] for r in sorted_rows[:3]] == ["0.934", "0.944", "0.95"]
    assert sorted_rows[0][1] == "auto-sklearn †" and sorted_rows[2][1] == "lab/resnet-great"

    b3 = out["board_3d"]
    names3 = [r[1] for r in b3["rows"]]
    assert names3[0] == "ResNet-50 + 3D †" and names3[-1] == "lab/partial-3d"
    partial = b3["rows"][-1]
    assert partial[0] == "incomplete" and partial[5] == "incomplete: 2/6 datasets"

    ds = out["board_dataset"]
    assert ds["headers"][:4] == ["Model", "Protocol", "AUC", "ACC"]
    # BreastMNIST, best AUC first: ours (0.95), then the paper's best (Google AutoML Vision, 0.919).
    assert [r[:4] for r in ds["rows"][:2]] == [
        ["lab/resnet-great", "—", "0.95", "0.8"],
        ["Google AutoML Vision †", "—", "0.919", "0.861"],
    ]

    # Ranking by ACC: our model's mean ACC (0.80) falls below the paper's ResNets (0.82).
    acc_rows = out["board_2d_by_acc"]["rows"]
    expected = build_leaderboard(read_records(records) + paper_records(), sort_by="acc").rows("2d")
    assert [r[1] for r in acc_rows] == [display_name(r) for r in expected]
    assert acc_rows[0][1] == "ResNet-50 (224) †" and [r[0] for r in acc_rows if r[1] == "lab/resnet-great"] == ["1"]
    assert out["plot_rendered"] is True

    for name in ("leaderboard_2d.png", "leaderboard_dataset.png", "leaderboard_plot.png"):
        png = (shots / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    keep = os.environ.get("MEDMNIST_ARTIFACTS_DIR")
    if keep:
        shutil.copytree(shots, Path(keep) / "leaderboard-screenshots", dirs_exist_ok=True)
    print(f"browser session: {out['browser_seconds']} s", file=sys.stderr)
