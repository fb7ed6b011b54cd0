"""Swap a finished config into the export folder so that no crash leaves it half-replaced.

A config is written to ``.medmnist-staging/<config>`` (emptied by every run) and swapped in
only when complete.  The previous ``data/<config>`` is parked in ``.medmnist-previous/``
(outside the staging folder) and deleted only once the manifest records its successor; a
run that died in between is repaired by the next one before anything else: the parked copy
goes back unless the new one is in place and recorded.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from .export_manifest import DATA_DIR, files_present

log = logging.getLogger(__name__)

STAGING_DIR = ".medmnist-staging"
#: Where the replaced ``data/<config>`` waits until the manifest records its successor.
PREVIOUS_DIR = ".medmnist-previous"


def swap_in(out_dir: Path, staging_config: Path, config: str) -> None:
    """Replace ``data/<config>`` by the finished staging folder, parking the previous one."""
    target = out_dir / DATA_DIR / config
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = out_dir / PREVIOUS_DIR / config
    if target.exists():
        previous.parent.mkdir(exist_ok=True)
        os.replace(target, previous)
    try:
        os.replace(staging_config, target)
    except BaseException:
        if previous.exists() and not target.exists():
            os.replace(previous, target)  # leave things as they were
        raise


def discard_previous(out_dir: Path, config: str) -> None:
    """The manifest now records the new ``data/<config>``: the parked copy can go."""
    previous = out_dir / PREVIOUS_DIR / config
    if previous.exists():
        shutil.rmtree(previous)
    try:
        (out_dir / PREVIOUS_DIR).rmdir()
    except OSError:  # absent, or another config still parked
        pass


def recover_swaps(out_dir: Path, manifest: dict) -> None:
    """Finish the swaps of a run that died between parking ``data/<config>`` and recording its successor.

    For each parked copy: if the new ``data/<config>`` is in place and the manifest
    records it, the parked copy is stale and goes; otherwise (no new folder: the run
    died between the two renames; or a new folder the manifest does not describe) the
    parked copy is the last recorded export and goes back to ``data/<config>``.
    """
    parked_root = out_dir / PREVIOUS_DIR
    if not parked_root.is_dir():
        return
    for parked in sorted(parked_root.iterdir()):
        config = parked.name
        target = out_dir / DATA_DIR / config
        if target.exists() and files_present(manifest["configs"].get(config), target, config_folder=True):
            log.info("%s: removing the copy left by an interrupted swap; the new export is complete", config)
            shutil.rmtree(parked)
            continue
        if target.exists():
            # Unrecorded new files: move them where this run's staging cleanup deletes them.
            discard = out_dir / STAGING_DIR / f"{config}.unrecorded"
            discard.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, discard)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(parked, target)
        log.warning("%s: restored the previous export that an interrupted run had moved aside", config)
    parked_root.rmdir()
