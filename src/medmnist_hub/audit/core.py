"""Entry points: audit a config (the official file, found as ``fetch`` finds it) or a local file.

The file is resolved by the core :func:`~medmnist_hub.acquisition.resolve`, as for every
adapter: without ``file`` the official file is fetched and
MD5-verified; with ``file`` it is used whatever its MD5, after the same layout and label
checks, and the report's ``source`` says which of the two it was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..catalog import parse_config_name
from ..errors import ConfigError
from ..npz_reader import NpzReader
from .near import DEFAULT_THRESHOLD
from .report import build_report
from .runner import find, fingerprint_file


def check_threshold(value) -> float:
    """``--near``: a cosine similarity in (0, 1]."""
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"--near {value!r} is not a number: give a similarity in (0, 1], e.g. {DEFAULT_THRESHOLD}") from None
    if not 0.0 < t <= 1.0:
        raise ConfigError(f"--near {value!r} is out of range: give a similarity in (0, 1], e.g. {DEFAULT_THRESHOLD}")
    return t


def _source(config: str, file: os.PathLike | str | None, source_dirs: Sequence, offline) -> tuple[Path, dict]:
    from ..acquisition import resolve

    subset, size = parse_config_name(config)
    official_md5 = subset.file(size).md5
    if file is None:
        src = resolve(subset, size, source_dirs=source_dirs, offline=offline)
        return src.path, {"file": src.path.name, "official": True, "md5": official_md5,
                          "note": "the official file, MD5 verified"}
    path = Path(file).expanduser()
    if not path.is_file():
        raise ConfigError(f"--file {path}: no such file; give the path of an .npz file in the official {config} layout")
    src = resolve(subset, size, npz_path=path, origin="--file")
    if src.official:
        note = "a local file given with --file; its MD5 equals the official one"
    else:
        note = f"a local file given with --file; its MD5 differs from the official {official_md5}: NOT the official release"
    return path, {"file": path.name, "official": src.official, "md5": official_md5 if src.official else None,
                  "identity": src.identity, "note": note}


def audit(config: str, *, file: os.PathLike | str | None = None, source_dirs: Sequence = (), offline: bool | None = None,
          threshold: float = DEFAULT_THRESHOLD, num_proc: int = 2) -> dict:
    """The audit report (a JSON-ready dict, see src/medmnist_hub/audit/SCHEMA.md) of ``config``."""
    subset, size = parse_config_name(config)
    threshold = check_threshold(threshold)
    if num_proc < 1:
        raise ConfigError(f"--num-proc must be >= 1, got {num_proc}")
    path, source = _source(config, file, source_dirs, offline)
    with NpzReader(path) as reader:
        fp = fingerprint_file(reader, subset, size, num_proc=num_proc)
    findings = find(fp, size, subset.is_3d, threshold)
    return build_report(fp, findings, subset, size, subset.file(size).config_name, source)
