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

Gray 2D subsets are trained on the image repeated to three channels (the paper's way),
but their images are mode ``L``, which timm's and transformers' processors turn into
1-channel tensors.  The checkpoint is therefore saved with ``in_chans = 1``: the first
convolution's kernel summed over its three input channels (timm's ``adapt_input_conv``,
the same rule timm applies when it loads RGB weights into a 1-channel model).  Since
``conv(repeat(x, 3), W) == conv(x, W.sum(1))``, the logits are unchanged up to float
rounding; a test checks it on real BreastMNIST images.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..atomic import atomic_write_text
from .protocol import ModelSpec


def export_timm_checkpoint(
    timm_model: torch.nn.Module, spec: ModelSpec, out_dir: os.PathLike | str, *, fold_gray: bool = False
) -> Path:
    """Write ``config.json`` + ``model.safetensors`` for ``timm_model`` trained under ``spec``.

    ``fold_gray`` (what training passes for gray 2D subsets, ``spec.folds_gray``) saves the
    3-channel model as its 1-channel equivalent; otherwise the model is saved as given.
    """
    from timm.models import save_for_hf

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if fold_gray:
        timm_model = fold_gray_input(timm_model, spec)
    in_chans = 1 if fold_gray else spec.in_chans
    save_for_hf(
        timm_model,
        str(out),
        model_config={"label_names": list(spec.subset.label_names)},
        model_args={"in_chans": in_chans},
        data_config=spec.data_config(checkpoint=fold_gray),
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


def fold_gray_input(timm_model: torch.nn.Module, spec: ModelSpec) -> torch.nn.Module:
    """A 1-channel copy of a 3-channel 2D timm model that gives the same logits on gray images.

    The first convolution (named by the model's ``pretrained_cfg["first_conv"]``) is replaced
    by one with a single input channel whose kernel is the original summed over the
    input-channel axis; every other module, weight and buffer is a copy of the original's.
    """
    import copy

    from timm.models import adapt_input_conv

    folded = copy.deepcopy(timm_model)
    name = folded.pretrained_cfg.get("first_conv", "conv1")
    parent_name, _, attr = name.rpartition(".")
    parent = folded.get_submodule(parent_name) if parent_name else folded
    old = getattr(parent, attr)
    if not isinstance(old, torch.nn.Conv2d) or old.in_channels != 3 or old.groups != 1:
        raise ValueError(f"cannot fold {name} ({old}) of a gray {spec.architecture} model to one input channel")
    new = torch.nn.Conv2d(
        1, old.out_channels, old.kernel_size, old.stride, old.padding, old.dilation, 1, old.bias is not None,
        old.padding_mode, device=old.weight.device, dtype=old.weight.dtype,
    )
    with torch.no_grad():
        new.weight.copy_(adapt_input_conv(1, old.weight.detach()))
        if old.bias is not None:
            new.bias.copy_(old.bias.detach())
    setattr(parent, attr, new)
    if hasattr(folded, "in_chans"):
        folded.in_chans = 1
    return folded
