"""Core subcommands: ``info``, ``fetch``, ``validate``, ``synth``; and the argument checks every command shares.

The argument types below turn a bad value into argparse's usual two-line usage error
naming the option and the value, before any work starts (and before heavy imports).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

#: What the ``--size`` help says in every command that takes one subset or config.
SIZE_HELP = "image size: 28/64/128/224 (2D), 28/64 (3D); default 28, or the size a config name such as bloodmnist_64 carries"

#: How ``--subsets``/``--sizes`` compose in the commands that take a selection (rules: ``catalog.select_files``).
SELECTION_HELP = (
    "subset or config names: a config (vesselmnist3d_64) is exactly that file, a plain subset (breastmnist) is "
    "its 28 px file or, with --sizes, each of those sizes it has; 2d/3d/all name groups (default: every file)"
)
SIZES_HELP = "sizes for the plain subset names (28 64 128 224; 3D: 28 64); a config name must agree with them"
#: What the positional ``subset`` says in every command that takes one subset or config.
CONFIG_HELP = "a subset or config name: breastmnist (28 px), bloodmnist_64, vesselmnist3d_64"


def existing_dir(text: str) -> str:
    """argparse type: a folder the user names must exist (a typo is an error, never a silent skip)."""
    return _existing(text, Path.is_dir, "folder", "is not a folder")


def existing_file(text: str) -> str:
    """argparse type: a file the user names must exist and be a file."""
    return _existing(text, Path.is_file, "file", "is a folder, not a file")


def _existing(text: str, is_kind, kind: str, other_kind: str) -> str:
    path = Path(text).expanduser()
    if not is_kind(path):
        raise argparse.ArgumentTypeError(f"{text!r} {other_kind}" if path.exists() else f"{kind} {text!r} does not exist")
    return text


def _int_at_least(text: str, minimum: int, wanted: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (counts, batch sizes, epochs, processes)."""
    return _int_at_least(text, 1, "a positive integer")


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (seeds)."""
    return _int_at_least(text, 0, "0 or a positive integer")


def split_counts(text: str) -> tuple[int, int, int]:
    """argparse type: ``33,14,22`` -> (33, 14, 22), three positive train/val/test counts."""
    try:
        counts = tuple(int(x) for x in text.split(","))
    except ValueError:
        counts = ()
    if len(counts) != 3 or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"needs three positive counts train,val,test such as 33,14,22, got {text!r}")
    return counts  # type: ignore[return-value]


def check_output_dir(path: os.PathLike | str, what: str = "output folder") -> Path:
    """Refuse an output folder that is a file or cannot be written, before any work is done.

    Nothing is created here: the command creates the folder when it writes its result, so
    a run that fails later leaves no empty folder behind.
    """
    from .errors import ConfigError

    target = Path(path).expanduser()
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{what} {str(path)!r} is a file, not a folder: give a folder path")
    probe = target
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{what} {str(path)!r}: {str(probe)!r} is a file, so the folder cannot be created there")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {str(path)!r}: no write permission in {str(probe)!r}; choose another folder")
    return target


def add_source_args(p: argparse.ArgumentParser, *, progress_help: str | None = "hide the download progress bar") -> None:
    """Options shared by every command that needs an official file: ``--source-dir``, ``--offline``, ``--no-progress``.

    ``args.source_dir`` (a list of existing folders: a typo is an error, not a silent
    skip) and ``args.offline`` (True or None, so the environment decides) go straight
    to :func:`medmnist_hub.acquisition.fetch`.  ``progress_help`` describes what
    ``--no-progress`` hides for this command; ``None`` leaves the option out, for a
    command that shows no progress bar.
    """
    p.add_argument(
        "--source-dir",
        action="append",
        type=existing_dir,
        default=[],
        metavar="DIR",
        help="folder holding official .npz files, searched first (repeatable; MEDMNIST_DIR works too)",
    )
    p.add_argument("--offline", action="store_true", default=None, help="never download (also: MEDMNIST_HUB_OFFLINE=1 or HF_HUB_OFFLINE=1)")
    if progress_help is not None:
        p.add_argument("--no-progress", action="store_true", help=progress_help)


def add_command(subparsers, name: str, func, help: str, description: str | None = None) -> argparse.ArgumentParser:
    """Subcommand ``name``, run as ``func(args)``: ``help`` is its line in ``--help``, ``description`` heads its own."""
    p = subparsers.add_parser(name, help=help, description=description)
    p.set_defaults(func=func)
    return p


def add_selection_args(p: argparse.ArgumentParser, subsets_help: str = SELECTION_HELP) -> None:
    """``--subsets`` and ``--sizes``, for the commands that take a selection of files (``catalog.select_files``)."""
    p.add_argument("--subsets", nargs="+", default=None, metavar="NAME", help=subsets_help)
    p.add_argument("--sizes", nargs="+", type=int, default=None, metavar="SIZE", help=SIZES_HELP)


def add_num_proc(p: argparse.ArgumentParser, doing: str) -> None:
    """``--num-proc N``: worker processes ``doing`` the work; 2 by default, 1 on a single core."""
    p.add_argument("--num-proc", type=positive_int, default=max(1, min(2, os.cpu_count() or 1)), metavar="N",
                   help=f"processes {doing} (default: 2, or 1 on a single core)")


def _file_command(subparsers, name: str, func, help: str, description: str) -> argparse.ArgumentParser:
    """A command about one official file: the ``subset`` (or config) and its ``--size``."""
    p = add_command(subparsers, name, func, help, description)
    p.add_argument("subset", help=CONFIG_HELP)
    p.add_argument("--size", type=int, default=None, help=SIZE_HELP)
    return p


def register(subparsers) -> None:
    p = add_command(subparsers, "info", run_info, "print the catalog (all subsets, or one)", "Print the MedMNIST v3.0 catalog.")
    p.add_argument("subset", nargs="?", help="a subset or config name, e.g. bloodmnist or bloodmnist_64 (default: all)")
    p.add_argument("--json", action="store_true", help="machine-readable output (the catalog contract)")

    p = _file_command(subparsers, "fetch", run_fetch, "find or download an official file, verify its MD5, print its path",
                      "Look in --source-dir, MEDMNIST_DIR, ~/.medmnist and the cache, else download; verify the MD5.")
    add_source_args(p)

    p = _file_command(subparsers, "validate", run_validate,
                      "fetch a file and check it against the catalog (streamed), printing a summary",
                      "Check keys, dtypes, shapes, split sizes and label ranges; print counts and label distribution.")
    p.add_argument("--file", type=existing_file, help="check this file instead of fetching (no MD5 check; e.g. a synthetic file)")
    p.add_argument("--any-counts", action="store_true", help="accept split sizes other than the catalog's (synthetic files)")
    p.add_argument("--json", action="store_true")
    add_source_args(p)

    p = add_command(subparsers, "synth", run_synth, "write synthetic files in the official format (for tests)",
                    "Write small official-format .npz files for the given subsets and sizes.")
    p.add_argument("out_dir")
    add_selection_args(p)
    p.add_argument("--rows", type=split_counts, default="33,14,22", help="train,val,test counts (default 33,14,22)")
    p.add_argument("--seed", type=non_negative_int, default=0)


def run_info(args) -> int:
    from .catalog import SUBSETS, as_json_dict, resolve_config

    subsets = [SUBSETS[resolve_config(args.subset).subset]] if args.subset else list(SUBSETS.values())
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
    from .catalog import resolve_config

    file = resolve_config(args.subset, args.size)
    path = fetch(file.subset, file.size, source_dirs=args.source_dir, offline=args.offline, progress=not args.no_progress)
    print(path)
    return 0


def run_validate(args) -> int:
    from dataclasses import asdict

    from .acquisition import fetch
    from .catalog import SUBSETS, resolve_config
    from .validate import validate_file

    file = resolve_config(args.subset, args.size)
    subset, size = SUBSETS[file.subset], file.size
    path = args.file or fetch(subset.key, size, source_dirs=args.source_dir, offline=args.offline, progress=not args.no_progress)
    summary = validate_file(path, subset, size, split_sizes={} if args.any_counts else None)
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
        return 0
    verified = "format checked" if args.file else "MD5 verified, format checked"
    print(f"{subset.name} {size}px: {path} ({verified})")
    for split, s in summary.splits.items():
        dist = "; ".join(f"{name!r}: {c}" for name, c in zip(subset.label_names, s.label_counts))  # names may hold commas
        print(f"  {split:<5} {s.count:>7,} examples, mean pixel {s.pixel_mean:6.2f}; {dist}")
    return 0


def run_synth(args) -> int:
    from .catalog import SPLITS, select_files
    from .synthetic import write_synthetic

    files = select_files(args.subsets, args.sizes)  # an empty selection is an error, never "wrote nothing"
    check_output_dir(args.out_dir)
    split_sizes = dict(zip(SPLITS, args.rows))
    for file in files:
        print(write_synthetic(args.out_dir, file.subset, file.size, split_sizes, args.seed))
    return 0
