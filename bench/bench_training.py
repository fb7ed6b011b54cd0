"""Training throughput: our Trainer path vs a plain PyTorch loop, same model, data and batches.

Both sides train the same timm ResNet-18 (through TimmWrapper for the Trainer, bare for
the loop) with Adam on the same decoded tensors and the same batch preprocessing
(``BatchCollator``), for the same number of optimizer steps after one warm-up epoch.
The ratio tells what Trainer's machinery (accelerate, logging, evaluation hooks) costs.
Evaluation and checkpointing are switched off on both sides: this measures training.
"""

from __future__ import annotations

import os
import tempfile
import time

from .common import Row, real_or_none

STEPS = int(os.environ.get("BENCH_TRAIN_STEPS", "12"))


def _splits(spec, npz):
    from medmnist_hub.synthetic import write_synthetic
    from medmnist_hub.training.data import load_splits

    tmp = tempfile.mkdtemp(prefix="bench-train-")
    if npz is None:
        npz = write_synthetic(tmp, spec.subset.key, 28, {"train": 2048, "val": 64, "test": 64})
    return load_splits(spec, npz_path=npz, cache_dir=os.path.join(tmp, "hf"))


def trainer_samples_per_second(spec, splits, steps: int) -> float:
    """Trainer runs 2 x ``steps``; the second half is timed (the first warms up)."""
    from transformers import Trainer, TrainerCallback, set_seed

    from medmnist_hub.training.data import BatchCollator, TensorSplitDataset
    from medmnist_hub.training.trainer import build_model, paper_optimizer, training_arguments

    marks: dict[str, float] = {}

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == steps:
                marks["start"] = time.perf_counter()
            if state.global_step == 2 * steps:
                marks["end"] = time.perf_counter()

    set_seed(0)
    model = build_model(spec)
    with tempfile.TemporaryDirectory() as tmp:
        args = training_arguments(
            spec, tmp, 0, progress=False, max_steps=2 * steps, eval_strategy="no", save_strategy="no",
            load_best_model_at_end=False, logging_strategy="no",
        )
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=TensorSplitDataset(splits["train"]),
            data_collator=BatchCollator(spec),
            optimizers=paper_optimizer(model, spec, steps_per_epoch=steps),
            callbacks=[Clock()],
        )
        trainer.train()
    return steps * spec.schedule.batch_size / (marks["end"] - marks["start"])


def plain_loop_samples_per_second(spec, splits, steps: int) -> float:
    import timm
    import torch

    from medmnist_hub.training.data import BatchCollator, TensorSplitDataset

    torch.manual_seed(0)
    model = timm.create_model(spec.architecture, num_classes=spec.subset.num_classes, in_chans=spec.in_chans)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(
        TensorSplitDataset(splits["train"]), batch_size=spec.schedule.batch_size, shuffle=True, collate_fn=BatchCollator(spec)
    )
    loss_fn = torch.nn.CrossEntropyLoss()

    def run(n):
        done = 0
        model.train()
        while done < n:
            for batch in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(batch["pixel_values"]), batch["labels"])
                loss.backward()
                optimizer.step()
                done += 1
                if done == n:
                    return

    run(steps)  # warm-up
    t0 = time.perf_counter()
    run(steps)
    return steps * spec.schedule.batch_size / (time.perf_counter() - t0)


def run() -> list[Row]:
    from medmnist_hub.training.protocol import model_spec

    rows = []
    npz = real_or_none("pneumoniamnist")
    spec = model_spec("pneumoniamnist", "resnet18", "28")
    splits = _splits(spec, npz)
    ours = trainer_samples_per_second(spec, splits, STEPS)
    base = plain_loop_samples_per_second(spec, splits, STEPS)
    rows.append(
        Row(
            benchmark="training",
            case=f"ResNet-18 protocol 28 (112 px input), batch 128, {STEPS} steps, pneumoniamnist",
            ours=ours,
            baseline=base,
            unit="samples/s",
            baseline_name="plain PyTorch loop",
            data="real" if npz else "synthetic",
        )
    )
    return rows


if __name__ == "__main__":
    for r in run():
        print(f"{r.case}: Trainer {r.ours:.1f} vs plain {r.baseline:.1f} {r.unit} -> ratio {r.ratio:.2f}")
