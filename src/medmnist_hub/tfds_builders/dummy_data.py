"""The builder's ``dummy_data/``: tiny files in exactly the official layout, for TFDS's test case.

``tfds.testing.DatasetBuilderTestCase`` builds the dataset from the files in
``medmnist/dummy_data/`` (handed to the builder as its ``manual_dir``).  One file per
config the test case covers: a 2D grayscale, a 2D RGB, the multi-label, a 3D config
and one each at 224 px and 64 voxels.  Images are smooth gradients rather than noise so
the files stay a few KB even at 224 px; keys, dtype, shapes and label ranges are the
official ones (checked with :func:`medmnist_hub.validate.check_layout`).

Regenerate with ``python -m medmnist_hub.tfds_builders.dummy_data``; a test checks the
committed files equal what this module writes.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..catalog import SPLITS, parse_config_name
from ..synthetic import synthetic_labels

DUMMY_DIR = Path(__file__).resolve().parent / "medmnist" / "dummy_data"
#: Configs with a dummy file: 2D gray, 2D RGB, multi-label, 3D, 224 px, 3D at 64.
DUMMY_CONFIGS: tuple[str, ...] = (
    "breastmnist",
    "bloodmnist",
    "chestmnist",
    "organmnist3d",
    "pneumoniamnist_224",
    "vesselmnist3d_64",
)
DUMMY_SPLIT_SIZES: dict[str, int] = {"train": 3, "val": 2, "test": 2}


def dummy_arrays(config: str) -> dict[str, np.ndarray]:
    subset, size = parse_config_name(config)
    rng = np.random.default_rng(sum(map(ord, config)))
    arrays = {}
    row = 0
    for split in SPLITS:
        n = DUMMY_SPLIT_SIZES[split]
        labels = synthetic_labels(subset, n, rng)
        shape = subset.image_shape(size)
        ramp = np.linspace(0.0, 60.0, size, dtype=np.float32)  # varies along the width
        if subset.channels == 3:
            ramp = ramp[:, None]  # (width, 1): the same ramp in every colour channel
        images = np.empty((n,) + shape, dtype=np.uint8)
        for i in range(n):
            level = 40.0 + 12.0 * (row % 10) + 20.0 * float(labels[i, 0])
            images[i] = np.clip(np.broadcast_to(level + ramp, shape), 0, 255).astype(np.uint8)
            row += 1
        arrays[f"{split}_images"] = images
        arrays[f"{split}_labels"] = labels
    return arrays


def write_dummy_file(config: str, out_dir: os.PathLike | str = DUMMY_DIR) -> Path:
    """Write ``<out_dir>/<official file name>``; byte-stable (fixed zip timestamps)."""
    subset, size = parse_config_name(config)
    path = Path(out_dir) / subset.file(size).filename
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = dummy_arrays(config)
    with atomic_open(path, "wb") as out, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in [f"{s}_images" for s in SPLITS] + [f"{s}_labels" for s in SPLITS]:
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, arrays[key], allow_pickle=False)
    return path


def write_all(out_dir: os.PathLike | str = DUMMY_DIR) -> list[Path]:
    return [write_dummy_file(c, out_dir) for c in DUMMY_CONFIGS]


if __name__ == "__main__":  # pragma: no cover
    for p in write_all():
        print(p, p.stat().st_size)
