"""Official-format files with planted integrity problems, and files of genuinely distinct samples.

Distinct samples are smooth random fields (a coarse random grid, bilinearly enlarged, plus
faint noise): like real scans they have low-frequency structure, and any two of them are
far apart.  The files are written with the project's own writers
(:func:`medmnist_hub.synthetic.write_npz_streaming`, official keys, member order and
label layout from :mod:`medmnist_hub.synthetic`), so the audit reads them exactly as it
reads the official files.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from medmnist_hub.catalog import SPLITS, get_subset
from medmnist_hub.synthetic import synthetic_labels, write_npz_streaming


def smooth_fields(n: int, shape: tuple[int, ...], rng: np.random.Generator, grid: int = 5) -> np.ndarray:
    """``n`` distinct smooth uint8 samples of ``shape`` ((s, s), (s, s, 3) or (s, s, s))."""
    spatial = shape[:3] if len(shape) == 3 and shape[-1] != 3 else shape[:2]
    coarse = rng.uniform(30, 225, size=(n, *(grid,) * len(spatial), *shape[len(spatial):]))
    out = coarse
    for axis, size in enumerate(spatial, start=1):  # separable linear interpolation up to the full size
        pos = np.linspace(0, grid - 1, size)
        lo = np.floor(pos).astype(int).clip(0, grid - 2)
        w = (pos - lo).reshape((1,) * axis + (size,) + (1,) * (out.ndim - axis - 1))
        out = np.take(out, lo, axis=axis) * (1 - w) + np.take(out, lo + 1, axis=axis) * w
    out = out + rng.normal(0, 2.0, size=out.shape)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def official_arrays(subset_key: str, size: int, rows: dict[str, int], seed: int = 0) -> dict[str, np.ndarray]:
    subset = get_subset(subset_key)
    rng = np.random.default_rng(seed)
    arrays = {}
    for split in SPLITS:
        arrays[f"{split}_labels"] = synthetic_labels(subset, rows[split], rng)
        arrays[f"{split}_images"] = smooth_fields(rows[split], subset.image_shape(size), rng)
    return arrays


def write_official(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    members = {}
    for key in [f"{s}_images" for s in SPLITS] + [f"{s}_labels" for s in SPLITS]:
        members[key] = (arrays[key].shape, lambda a=arrays[key]: [a])
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_npz_streaming(path, members, compressed=True)


# -- the planted transformations --------------------------------------------------------
def brighter(x: np.ndarray, by: int = 3) -> np.ndarray:
    return np.clip(x.astype(np.int16) + by, 0, 255).astype(np.uint8)


def more_contrast(x: np.ndarray, factor: float = 1.05) -> np.ndarray:
    mean = x.astype(np.float32).mean()
    return np.clip(np.round(mean + (x.astype(np.float32) - mean) * factor), 0, 255).astype(np.uint8)


def shifted(x: np.ndarray, axis: int = 1) -> np.ndarray:
    """One pixel (voxel) along ``axis``, the edge row repeated."""
    out = x.copy()
    src = [slice(None)] * x.ndim
    dst = [slice(None)] * x.ndim
    src[axis], dst[axis] = slice(0, -1), slice(1, None)
    out[tuple(dst)] = x[tuple(src)]
    return out


def round_trip(x: np.ndarray, fmt: str) -> np.ndarray:
    import PIL.Image

    buf = io.BytesIO()
    PIL.Image.fromarray(x).save(buf, format=fmt)
    return np.asarray(PIL.Image.open(io.BytesIO(buf.getvalue())))
