"""Core subcommands: ``info``, ``fetch``, ``validate``, ``synth``."""

from __future__ import annotations

import argparse
import json


def add_source_args(p: argparse.ArgumentParser, *, progress_help: str | None = "hide the download progress bar") -> None:
    """Options shared by every command that needs an official file: ``--source-dir``, ``--offline``, ``--no-progress``.

    ``args.source_dir`` (a list) and ``args.offline`` (True or None, so the environment
    decides) go straight to :func:`medmnist_hub.acquisition.fetch`.  ``progress_help``
    describes what ``--no-progress`` hides for this command; ``None`` leaves the option
    out, for a command that shows no progress bar.
    """
    p.add_argument(
        "--source-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="folder holding official .npz files, searched first (repeatable; MEDMNIST_DIR works too)",
    )
    p.add_argument("--offline", action="store_true", default=None, help="never download (also: MEDMNIST_HUB_OFFLINE=1 or HF_HUB_OFFLINE=1)")
    if progress_help is not None:
        p.add_argument("--no-progress", action="store_true", help=progress_help)


def register(subparsers) -> None:
    p = subparsers.add_parser("info", help="print the catalog (all subsets, or one)", description="Print the MedMNIST v3.0 catalog.")
    p.add_argument("subset", nargs="?", help="a subset name, e.g. bloodmnist (default: all)")
    p.add_argument("--json", action="store_true", help="machine-readable output (the catalog contract)")
    p.set_defaults(func=run_info)

    p = subparsers.add_parser(
        "fetch",
        help="find or download an official file, verify its MD5, print its path",
        description="Look in --source-dir, MEDMNIST_DIR, ~/.medmnist and the cache, else download; verify the MD5.",
    )
    p.add_argument("subset")
    p.add_argument("--size", type=int, default=28, help="image size: 28/64/128/224 (2D), 28/64 (3D)")
    add_source_args(p)
    p.set_defaults(func=run_fetch)

    p = subparsers.add_parser(
        "validate",
        help="fetch a file and check it against the catalog (streamed), printing a summary",
        description="Check keys, dtypes, shapes, split sizes and label ranges; print counts and label distribution.",
    )
    p.add_argument("subset")
    p.add_argument("--size", type=int, default=28)
    p.add_argument("--file", help="check this file instead of fetching (no MD5 check; e.g. a synthetic file)")
    p.add_argument("--any-counts", action="store_true", help="accept split sizes other than the catalog's (synthetic files)")
    p.add_argument("--json", action="store_true")
    add_source_args(p)
    p.set_defaults(func=run_validate)

    p = subparsers.add_parser(
        "synth",
        help="write synthetic files in the official format (for tests)",
        description="Write small official-format .npz files for the given subsets and sizes.",
    )
    p.add_argument("out_dir")
    p.add_argument("--subsets", nargs="+", default=None, help="default: all 18")
    p.add_argument("--sizes", nargs="+", type=int, default=None, help="default: every size of each subset")
    p.add_argument("--rows", default="33,14,22", help="train,val,test counts (default 33,14,22)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_synth)


def run_info(args) -> int:
    from .catalog import SUBSETS, as_json_dict, get_subset

    subsets = [get_subset(args.subset)] if args.subset else list(SUBSETS.values())
    if args.json:
        print(json.dumps({s.key: as_json_dict(s) for s in subsets}, indent=2, ensure_ascii=False))
        return 0
    if args.subset:
        s = subsets[0]
        d = as_json_dict(s)
        print(f"{s.name} ({s.key}) - {s.modality}, {s.dimension}D, {s.task}, license {s.license}")
        print(f"  {s.description}")
        print("  labels: " + "; ".join(f"{i}={n}" for i, n in enumerate(s.label_names)))
        print(f"  channels: {s.channels}  splits: " + ", ".join(f"{k} {v:,}" for k, v in s.split_sizes.items()))
        for f in d["files"].values():
            print(f"  {f['config']:<22} {f['md5']}  {f['url']}")
        return 0
    print(f"{'subset':<16}{'dim':<5}{'task':<27}{'classes':>8}{'ch':>4}  {'sizes':<16}{'train':>9}{'val':>8}{'test':>8}  license")
    for s in subsets:
        print(
            f"{s.key:<16}{str(s.dimension) + 'D':<5}{s.task:<27}{s.num_classes:>8}{s.channels:>4}  "
            f"{'/'.join(map(str, s.sizes)):<16}{s.split_sizes['train']:>9,}{s.split_sizes['val']:>8,}"
            f"{s.split_sizes['test']:>8,}  {s.license}"
        )
    return 0


def run_fetch(args) -> int:
    from .acquisition import fetch

    path = fetch(args.subset, args.size, source_dirs=args.source_dir, offline=args.offline, progress=not args.no_progress)
    print(path)
    return 0


def run_validate(args) -> int:
    from dataclasses import asdict

    from .acquisition import fetch
    from .catalog import get_subset
    from .validate import validate_file

    subset = get_subset(args.subset)
    path = args.file or fetch(args.subset, args.size, source_dirs=args.source_dir, offline=args.offline, progress=not args.no_progress)
    summary = validate_file(path, subset, args.size, split_sizes={} if args.any_counts else None)
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
        return 0
    verified = "format checked" if args.file else "MD5 verified, format checked"
    print(f"{subset.name} {args.size}px: {path} ({verified})")
    for split, s in summary.splits.items():
        dist = "; ".join(f"{name!r}: {c}" for name, c in zip(subset.label_names, s.label_counts))  # names may hold commas
        print(f"  {split:<5} {s.count:>7,} examples, mean pixel {s.pixel_mean:6.2f}; {dist}")
    return 0


def run_synth(args) -> int:
    from .catalog import SPLITS, SUBSETS, get_subset
    from .synthetic import write_synthetic

    counts = [int(x) for x in args.rows.split(",")]
    if len(counts) != 3 or min(counts) < 1:
        raise SystemExit(f"--rows needs three positive counts train,val,test, got {args.rows!r}")
    split_sizes = dict(zip(SPLITS, counts))
    for key in args.subsets or list(SUBSETS):
        subset = get_subset(key)
        for size in args.sizes or subset.sizes:
            if size in subset.files:
                print(write_synthetic(args.out_dir, subset.key, size, split_sizes, args.seed))
    return 0
