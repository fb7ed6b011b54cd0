"""Peak memory of streaming a multi-GB 224-size-shaped file vs ``np.load`` of it.

The file is synthetic, in the official layout of ``pathmnist_224`` (uint8, 224x224x3,
official keys) with a training split of several GB; members are stored (not deflated)
so that generating it takes seconds.  Streaming is measured at two file sizes to show
that its memory does not grow with N, while ``np.load`` grows with the array.
"""

from __future__ import annotations

import os

from medmnist_hub.synthetic import iter_synthetic_chunks, write_npz_streaming

from .common import WORK_DIR, Row, peak_rss_of, timed

ROW_BYTES = 224 * 224 * 3
GIB = 1024**3


def make_file(gib: float) -> tuple[str, int]:
    rows = int(gib * GIB / ROW_BYTES)
    path = WORK_DIR / f"pathmnist_224_like_{gib:g}GiB.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shapes = {
            "train_images": (rows, 224, 224, 3),
            "val_images": (64, 224, 224, 3),
            "test_images": (64, 224, 224, 3),
            "train_labels": (rows, 1),
            "val_labels": (64, 1),
            "test_labels": (64, 1),
        }
        members = {
            k: (s, (lambda s=s, k=k: iter_synthetic_chunks(s, 2048, seed=len(k), high=9 if "labels" in k else 256)))
            for k, s in shapes.items()
        }
        write_npz_streaming(path, members, compressed=False)
    return str(path), rows


STREAM = """
import numpy as np
from medmnist_hub.npz_reader import NpzReader
total = 0
with NpzReader({path!r}) as r:
    for images, labels in r.iter_split("train", chunk_rows=256):
        total += int(images[:, 0, 0, 0].sum()) + int(labels.sum())
print(total)
"""

NP_LOAD = """
import numpy as np
with np.load({path!r}, allow_pickle=False) as z:
    images = z["train_images"]; labels = z["train_labels"]
    total = int(images[:, 0, 0, 0].sum()) + int(labels.sum())
print(total)
"""


def run(scale: float = 1.0) -> list[Row]:
    sizes = [1.0 * scale, 3.0 * scale]
    rows: list[Row] = []
    streaming_peaks = []
    for gib in sizes:
        path, n = make_file(gib)
        t_stream, (rss_stream, out_stream) = timed(peak_rss_of, STREAM.format(path=path))
        t_load, (rss_load, out_load) = timed(peak_rss_of, NP_LOAD.format(path=path))
        assert out_stream == out_load, "streaming and np.load disagree"
        streaming_peaks.append(rss_stream)
        rows.append(
            Row(
                benchmark="streaming reader",
                case=f"peak RSS, {gib:g} GiB train split ({n:,} x 224x224x3)",
                ours=rss_stream,
                baseline=rss_load,
                unit="MiB",
                baseline_name="np.load",
                higher_is_better=False,
                data="synthetic (official format, stored members)",
                notes=f"wall {t_stream:.1f}s vs {t_load:.1f}s",
            )
        )
    growth = streaming_peaks[1] - streaming_peaks[0]
    rows[-1].notes += f"; streaming peak grew {growth:+.1f} MiB from the {sizes[0]:g} GiB file (np.load: {rows[1].baseline - rows[0].baseline:+.0f} MiB)"
    if os.environ.get("BENCH_KEEP_FILES") != "1":
        for gib in sizes:
            p = WORK_DIR / f"pathmnist_224_like_{gib:g}GiB.npz"
            p.unlink(missing_ok=True)
    return rows


if __name__ == "__main__":
    for r in run(float(os.environ.get("BENCH_SCALE", "1"))):
        print(f"{r.case:<60} ours {r.ours:10.1f} {r.unit}  {r.baseline_name} {r.baseline:10.1f}  ratio {r.ratio:6.1f}x  {r.notes}")
