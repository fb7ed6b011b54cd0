"""Checkpoints in timm's Hub format that load without medmnist_hub.

``config.json`` (architecture, label names, ``pretrained_cfg`` with input size,
interpolation, mean/std) + ``model.safetensors``: ``timm.create_model("local-dir:DIR",
pretrained=True)`` and ``transformers.AutoModelForImageClassification.from_pretrained(DIR)``
(TimmWrapper) both read it, and ``AutoImageProcessor`` reproduces our preprocessing from
the saved ``pretrained_cfg``.

One clash is handled here: timm 1.0.31 records ``num_classes`` in ``model_args``, and
TimmWrapper passes ``num_classes`` itself as well, so loading through transformers fails
with "got multiple values for keyword argument 'num_classes'".  The class count is
already carried by ``num_classes``/``label_names`` at the top level, so we drop the
duplicate from ``model_args``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..atomic import atomic_write_text
from .protocol import ModelSpec


def export_timm_checkpoint(timm_model: torch.nn.Module, spec: ModelSpec, out_dir: os.PathLike | str) -> Path:
    """Write ``config.json`` + ``model.safetensors`` for ``timm_model`` trained under ``spec``."""
    from timm.models import save_for_hf

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_for_hf(
        timm_model,
        str(out),
        model_config={"label_names": list(spec.subset.label_names)},
        model_args={"in_chans": spec.in_chans},
        data_config=spec.data_config(),
        safe_serialization=True,
    )
    config_path = out / "config.json"
    config = json.loads(config_path.read_text())
    config.get("model_args", {}).pop("num_classes", None)
    if spec.subset.is_multilabel:
        # transformers picks BCE (sigmoid) for this checkpoint when fine-tuned further.
        config["problem_type"] = "multi_label_classification"
    atomic_write_text(config_path, json.dumps(config, indent=2) + "\n")
    for stray in ("pytorch_model.bin",):  # never ship a pickle-based weight file
        (out / stray).unlink(missing_ok=True)
    return out
