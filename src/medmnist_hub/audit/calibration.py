"""The numbers behind the near-duplicate descriptor and its default threshold, measured on real files.

    python -m medmnist_hub.audit.calibration [DATA_DIR] [--out results/audit]

For every official file found in ``DATA_DIR`` (default: ``$MEDMNIST_SHARED_DATA`` or
``../shared/data/medmnist``):

* recall: for up to ``--samples`` real samples, each planted change (brightness +3,
  contrast x1.05 about the mean, a one-pixel shift along each axis, and for 2D a JPEG
  round trip at PIL's default quality 75; a PNG round trip is lossless, hence an exact
  duplicate, caught by the digest) is compared with its original; recall at a threshold
  is the share of planted pairs whose similarity reaches it;
* false-positive rate: the share of all pairs of distinct samples (different digests)
  at or above the threshold, over up to ``--fp-rows`` query samples against the whole
  file.  It is an upper bound: genuine near duplicates of the file count as errors here;
* LSH recall: the share of the brute-force pairs at the default threshold that the
  index of :mod:`.near` also finds.

Writes ``calibration.json`` and ``calibration.md``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text
from ..catalog import SPLITS, config_names, parse_config_name
from ..npz_reader import NpzReader
from .descriptors import describe
from .near import DEFAULT_THRESHOLD, NearIndex, apply_shift, shifts
from .runner import exact_groups

THRESHOLDS = (0.9, 0.93, 0.95, 0.97, 0.98, 0.99)


def _jpeg(x: np.ndarray) -> np.ndarray:
    import io

    import PIL.Image

    buf = io.BytesIO()
    PIL.Image.fromarray(x).save(buf, format="JPEG")
    return np.asarray(PIL.Image.open(io.BytesIO(buf.getvalue())))


def planted_changes(x: np.ndarray, is_3d: bool) -> dict[str, np.ndarray]:
    f = x.astype(np.float32)
    out = {
        "brightness +3": np.clip(f + 3, 0, 255).astype(np.uint8),
        "contrast x1.05": np.clip(np.round(f.mean() + (f - f.mean()) * 1.05), 0, 255).astype(np.uint8),
    }
    for axis in range(3 if is_3d else 2):
        s = x.copy()
        src, dst = [slice(None)] * x.ndim, [slice(None)] * x.ndim
        src[axis], dst[axis] = slice(0, -1), slice(1, None)
        s[tuple(dst)] = x[tuple(src)]
        out[f"shift 1 px, axis {axis}"] = s
    if not is_3d:
        out["JPEG q75 round trip"] = _jpeg(x)
    return out


def _similarity(index: NearIndex, queries: np.ndarray, base: np.ndarray, n: int, is_3d: bool) -> np.ndarray:
    """Best-shift similarity of each query descriptor against each base unit vector ((q, b))."""
    best = np.full((len(queries), len(base)), -1.0, np.float32)
    for s in shifts(is_3d):
        np.maximum(best, index.centre(apply_shift(queries, s, n)) @ base.T, out=best)
    return best


def calibrate_file(path: Path, config: str, samples: int, fp_rows: int, seed: int = 0) -> dict:
    subset, size = parse_config_name(config)
    with NpzReader(path) as r:
        images = np.concatenate([r.read(f"{s}_images") for s in SPLITS])
    d = describe(images, subset.is_3d)
    _, _, reps = exact_groups(d.digests)
    reps = reps[d.minimum[reps] != d.maximum[reps]]
    index = NearIndex(d.coefs[reps], size, subset.is_3d, DEFAULT_THRESHOLD)
    base = index.base.astype(np.float32)
    rng = np.random.default_rng(seed)

    pick = rng.choice(len(reps), min(samples, len(reps)), replace=False)
    recall_sims: dict[str, list[float]] = {}
    for i in pick:
        for name, changed in planted_changes(images[reps[i]], subset.is_3d).items():
            c = describe(changed[None], subset.is_3d).coefs
            # the search compares both ways (each sample queries the other's table): so does this
            there = _similarity(index, c, base[i : i + 1], size, subset.is_3d)[0, 0]
            back = _similarity(index, d.coefs[reps[i] : reps[i] + 1], index.centre(c), size, subset.is_3d)[0, 0]
            sim = max(there, back)
            recall_sims.setdefault(name, []).append(float(sim))

    rows = rng.choice(len(reps), min(fp_rows, len(reps)), replace=False)
    sims = _similarity(index, d.coefs[reps][rows], base, size, subset.is_3d)
    sims[np.arange(len(rows)), rows] = -1.0
    pairs = len(rows) * (len(reps) - 1)

    brute = {(min(int(rows[q]), int(b)), max(int(rows[q]), int(b))) for q, b in zip(*np.nonzero(sims >= DEFAULT_THRESHOLD))}
    found = {(p.a, p.b) for p in index.search()}
    return {
        "config": config,
        "samples": len(images),
        "distinct_samples": int(len(reps)),
        "recall": {name: {str(t): float(np.mean(np.array(v) >= t)) for t in THRESHOLDS} for name, v in recall_sims.items()},
        "min_similarity": {name: round(min(v), 4) for name, v in recall_sims.items()},
        "planted_per_change": len(pick),
        "false_positive_rate": {str(t): float((sims >= t).sum() / pairs) for t in THRESHOLDS},
        "pairs_compared": int(pairs),
        "lsh_recall_at_default": (len(brute & found) / len(brute)) if brute else None,
        "brute_force_pairs_at_default": len(brute),
    }


def render(results: list[dict]) -> str:
    lines = [
        "# Near-duplicate calibration",
        "",
        "Regenerate with `python -m medmnist_hub.audit.calibration` (module docstring: method). Descriptor: the",
        "low-frequency DCT block (16x16 in 2D, 8x8x8 in 3D) of the grey image, DC dropped, unit length, centred on",
        "the file's mean; similarity: best cosine over one-pixel shifts. Recall: share of planted pairs at or above",
        "the threshold. False-positive rate: share of all pairs of distinct samples at or above it (an upper bound:",
        f"the file's genuine near duplicates count as errors). Default threshold: **{DEFAULT_THRESHOLD}**.",
        "",
        "| config | change | " + " | ".join(f"recall @{t}" for t in THRESHOLDS) + " | min similarity |",
        "|---|---|" + "---:|" * (len(THRESHOLDS) + 1),
    ]
    for r in results:
        for name, rec in r["recall"].items():
            lines.append(f"| {r['config']} | {name} | " + " | ".join(f"{rec[str(t)]:.3f}" for t in THRESHOLDS)
                         + f" | {r['min_similarity'][name]} |")
    lines += ["", "| config | distinct samples | pairs compared | " + " | ".join(f"FP rate @{t}" for t in THRESHOLDS)
              + f" | LSH recall @{DEFAULT_THRESHOLD} |", "|---|---:|---:|" + "---:|" * (len(THRESHOLDS) + 1)]
    for r in results:
        lsh = "n/a (no pair)" if r["lsh_recall_at_default"] is None else \
            f"{r['lsh_recall_at_default']:.3f} of {r['brute_force_pairs_at_default']}"
        lines.append(f"| {r['config']} | {r['distinct_samples']:,} | {r['pairs_compared']:,} | "
                     + " | ".join(f"{r['false_positive_rate'][str(t)]:.2e}" for t in THRESHOLDS) + f" | {lsh} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    default_dir = os.environ.get("MEDMNIST_SHARED_DATA", str(Path.cwd().parent / "shared" / "data" / "medmnist"))
    p = argparse.ArgumentParser(prog="python -m medmnist_hub.audit.calibration", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_dir", nargs="?", default=default_dir)
    p.add_argument("--out", default="results/audit")
    p.add_argument("--samples", type=int, default=300)
    p.add_argument("--fp-rows", type=int, default=2000)
    args = p.parse_args(argv)
    results = []
    for config in config_names():
        path = Path(args.data_dir) / f"{config}.npz"
        if path.is_file():
            results.append(calibrate_file(path, config, args.samples, args.fp_rows))
            print(f"{config}: done", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "calibration.json", json.dumps(results, indent=1) + "\n")
    atomic_write_text(out / "calibration.md", render(results))
    print(f"wrote {out / 'calibration.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
