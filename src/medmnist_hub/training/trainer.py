"""Train a timm ResNet on a MedMNIST subset with ``transformers.Trainer``, the paper's way.

The model is timm's ResNet wrapped in transformers' TimmWrapper, so Trainer, accelerate
(multi-GPU via ``accelerate launch`` / ``torchrun``), checkpointing and resumption come
from the ecosystem.  Protocol: Adam (lr 1e-3), lr x0.1 at 50% and 75% of the epochs,
evaluation on the validation split every epoch, the epoch with the best validation AUC
restored at the end (``load_best_model_at_end``), then test AUC/ACC with our metric.

TimmWrapper re-initialises every layer of a freshly built timm model with N(0, 0.02)
(transformers' init, meant for a classifier head on loaded weights), which also undoes
timm's zero-init of the last BatchNorm in each block.  Training from scratch, we put a
timm-initialised model inside the wrapper instead.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_write_text
from ..errors import ConfigError
from .data import BatchCollator, SplitTensors, TensorSplitDataset, load_splits
from .export import export_timm_checkpoint
from .protocol import ModelSpec

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    run_dir: str
    export_dir: str
    spec: dict
    seed: int
    best_epoch: float | None
    val: dict
    test: dict
    train_seconds: float
    train_samples_per_second: float
    history: list = field(default_factory=list)


def build_model(spec: ModelSpec):
    """TimmWrapper around a timm-initialised ResNet (2D, or a 3D conversion) with the subset's labels."""
    import timm
    from transformers import TimmWrapperConfig, TimmWrapperForImageClassification

    if spec.volumetric:
        from .. import models  # noqa: F401  (registers the 3D ResNets in timm's registry)

    labels = list(spec.subset.label_names)
    config = TimmWrapperConfig(
        architecture=spec.architecture,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={n: i for i, n in enumerate(labels)},
        problem_type="multi_label_classification" if spec.subset.is_multilabel else "single_label_classification",
        model_args={"in_chans": spec.in_chans},
    )
    model = TimmWrapperForImageClassification(config)
    model.timm_model = timm.create_model(spec.architecture, pretrained=False, num_classes=len(labels), in_chans=spec.in_chans)
    # A clean pretrained_cfg: timm's default one describes ImageNet weights (tag, license,
    # origin URL) that have nothing to do with this randomly initialised model.
    default = model.timm_model.pretrained_cfg
    model.timm_model.pretrained_cfg = {
        "architecture": spec.architecture,
        "num_classes": len(labels),
        "first_conv": default.get("first_conv", "conv1"),
        "classifier": default.get("classifier", "fc"),
        **spec.data_config(),
    }
    return model


def paper_optimizer(model, spec: ModelSpec, steps_per_epoch: int):
    """Adam with the step schedule of the paper (x0.1 at 50% and 75% of training)."""
    sched = spec.schedule
    optimizer = torch.optim.Adam(model.parameters(), lr=sched.learning_rate)
    milestones = [round(f * sched.epochs) * steps_per_epoch for f in sched.milestones]

    def factor(step: int) -> float:
        return sched.gamma ** sum(step >= m for m in milestones)

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def world_size() -> int:
    """Processes taking part in training (``torchrun`` / ``accelerate launch`` set WORLD_SIZE)."""
    return max(1, int(os.environ.get("WORLD_SIZE", "1")))


def per_device_batch(spec: ModelSpec) -> int:
    """The paper's batch is global: split it across processes so N GPUs still step on 128 (2D) / 32 (3D)."""
    batch, world = spec.schedule.batch_size, world_size()
    if batch % world:
        raise ConfigError(f"batch size {batch} cannot be split evenly across {world} processes")
    return batch // world


def steps_per_epoch(spec: ModelSpec, n_train: int) -> int:
    """Optimizer steps in one epoch, whatever the number of processes (global batch = the paper's)."""
    return -(-n_train // spec.schedule.batch_size)


def training_arguments(spec: ModelSpec, run_dir: Path, seed: int, progress: bool = True, **overrides):
    from transformers import TrainingArguments

    batch = spec.schedule.batch_size
    kwargs = dict(
        output_dir=str(run_dir),
        num_train_epochs=spec.schedule.epochs,
        per_device_train_batch_size=per_device_batch(spec),
        per_device_eval_batch_size=max(batch, 256),
        learning_rate=spec.schedule.learning_rate,
        max_grad_norm=0.0,  # the paper does not clip gradients (Trainer clips at 1.0 by default)
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        save_total_limit=2,  # the best and the latest (resume needs the latest)
        load_best_model_at_end=True,
        metric_for_best_model="auc",
        greater_is_better=True,
        seed=seed,
        data_seed=seed,
        report_to=[],
        remove_unused_columns=False,
        label_names=["labels"],
        dataloader_num_workers=0,
        disable_tqdm=not progress,
        use_cpu=not torch.cuda.is_available(),
    )
    kwargs.update(overrides)
    return TrainingArguments(**kwargs)


def train(
    spec: ModelSpec,
    output_dir: os.PathLike | str,
    *,
    seed: int = 0,
    splits: dict[str, SplitTensors] | None = None,
    source_dirs: Sequence[os.PathLike | str] = (),
    npz_path: os.PathLike | str | None = None,
    cache_dir: os.PathLike | str | None = None,
    resume: bool = False,
    progress: bool = True,
    max_steps: int | None = None,
) -> TrainResult:
    """Run the protocol for ``spec`` and export the best checkpoint to ``output_dir/model``."""
    from transformers import Trainer, set_seed

    from ..metrics import make_compute_metrics

    run_dir = Path(output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if splits is None:
        splits = load_splits(spec, source_dirs=source_dirs, npz_path=npz_path, cache_dir=cache_dir)
    set_seed(seed)
    model = build_model(spec)
    train_ds = TensorSplitDataset(splits["train"], augment=spec.random_intensity)
    val_ds = TensorSplitDataset(splits["val"])
    test_ds = TensorSplitDataset(splits["test"])
    overrides = {"max_steps": max_steps} if max_steps else {}
    args = training_arguments(spec, run_dir / "checkpoints", seed, progress, **overrides)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=val_ds,
        data_collator=BatchCollator(spec),
        compute_metrics=make_compute_metrics(spec.subset.key),
        optimizers=paper_optimizer(model, spec, steps_per_epoch(spec, len(train_ds))),
    )
    has_checkpoint = resume and any((run_dir / "checkpoints").glob("checkpoint-*"))
    earlier = _earlier_metrics(run_dir) if has_checkpoint else {}
    earlier_seconds = float(earlier.get("train_seconds") or 0.0)
    t0 = time.perf_counter()
    train_output = trainer.train(resume_from_checkpoint=True if has_checkpoint else None)
    train_seconds = earlier_seconds + time.perf_counter() - t0
    history = trainer.state.log_history
    best_epoch = _best_epoch(history, trainer.state.best_metric)

    val = {k.removeprefix("test_"): v for k, v in trainer.predict(val_ds).metrics.items() if k in ("test_auc", "test_acc")}
    test_pred = trainer.predict(test_ds)
    test = {k.removeprefix("test_"): v for k, v in test_pred.metrics.items() if k in ("test_auc", "test_acc")}
    export_dir = export_timm_checkpoint(trainer.model.timm_model, spec, run_dir / "model", fold_gray=spec.folds_gray)
    np.save(run_dir / "test_logits.npy", np.asarray(test_pred.predictions, dtype=np.float32), allow_pickle=False)
    result = TrainResult(
        run_dir=str(run_dir),
        export_dir=str(export_dir),
        spec=spec.to_dict(),
        seed=seed,
        best_epoch=best_epoch,
        val=val,
        test=test,
        train_seconds=train_seconds,
        train_samples_per_second=_throughput(train_output.metrics, earlier),
        history=history,
    )
    atomic_write_text(run_dir / "metrics.json", json.dumps(asdict(result), indent=2, default=str) + "\n")
    return result


def _earlier_metrics(run_dir: Path) -> dict:
    """What a completed earlier call on this run recorded (resumed runs add their training time to it)."""
    try:
        got = json.loads((run_dir / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}
    return got if isinstance(got, dict) else {}


def _throughput(train_metrics: dict, earlier: dict) -> float:
    """Samples/s of the training steps; a call that resumes a finished run trains nothing and keeps the old figure."""
    now = train_metrics.get("train_samples_per_second")
    if now:
        return float(now)
    before = earlier.get("train_samples_per_second")
    return float(before) if before else float("nan")


def _best_epoch(history: list[dict], best_metric: float | None) -> float | None:
    for entry in history:
        if best_metric is not None and entry.get("eval_auc") == best_metric:
            return entry.get("epoch")
    return None
