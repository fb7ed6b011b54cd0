"""MedMNIST for Hugging Face ``datasets``: a builder with 60 configs and a Hub-ready Parquet export.

Needs the ``[hf]`` extra.  Names are resolved lazily so that importing
``medmnist_hub.hf_builders.cli`` (the ``export-hf`` subcommand) stays instant and
works without ``datasets`` installed until the command actually runs.

* :class:`MedMNIST` / :func:`load_medmnist` - build and load any config from the
  official ``.npz`` files (streamed, MD5-verified).
* :func:`features_for`, :func:`multi_hot` - the schema and its helper.
* :func:`decode_images` - decode the image column once into uint8 arrays for fast epochs.
* :func:`export_hub_repo` - write a complete Hub dataset repo (Parquet + card + montages).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "MedMNIST": ".builder",
    "MedMNISTConfig": ".builder",
    "load_medmnist": ".builder",
    "VERSION": ".builder",
    "features_for": ".features",
    "multi_hot": ".features",
    "decode_images": ".arrays",
    "export_hub_repo": ".export",
    "ExportResult": ".export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
