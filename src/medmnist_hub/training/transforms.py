"""Batch preprocessing on tensors, equal to what timm's/transformers' processors do.

Training decodes each split once into a uint8 tensor and preprocesses whole batches
(nearest upsampling, scaling, normalisation) in the collator: per-image PIL transforms
would dominate a 2-core CPU epoch.  A test checks that the result equals
``AutoImageProcessor`` on the saved checkpoint, so what we train on is what users feed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .protocol import ModelSpec


def to_pixel_values(images: torch.Tensor, spec: ModelSpec) -> torch.Tensor:
    """uint8 batch in the official layout -> float ``pixel_values`` (B, C, S, S), or (B, 1, S, S, S).

    2D: (B, H, W) gray or (B, H, W, 3) RGB; gray is repeated to 3 channels.
    3D: (B, D, H, W); depth becomes the channel axis, or, for the paper's 3D conversions
    (``spec.volumetric``), the volume gets one channel axis and keeps its size.

    The values are ``(x / 255 - mean) / std`` in float32, op for op, but the layout work
    (channel axis, nearest upsampling, which only copies values) is done on the uint8 batch, the
    result is allocated once and normalised in place, and a gray image is normalised once
    before it is repeated: one float pass less per operation, which is what bounds a 3D batch.
    """
    x = images
    if spec.volumetric:
        x = x.unsqueeze(1)
    elif spec.subset.is_3d:
        pass  # (B, D, H, W): D is already the channel axis
    elif x.ndim == 3:
        x = x.unsqueeze(1)  # repeated to 3 channels below
    else:
        x = x.permute(0, 3, 1, 2)
    if spec.upsample > 1:
        x = F.interpolate(x, scale_factor=spec.upsample, mode="nearest")
    mean, std = spec.mean, spec.std
    repeat = not spec.subset.is_3d and images.ndim == 3  # 2D gray
    if repeat and (len(set(mean)) > 1 or len(set(std)) > 1):
        x, repeat = x.expand(-1, 3, *x.shape[2:]), False  # per-channel statistics: normalise all three
    if repeat:
        mean, std = mean[:1], std[:1]
    out = x.to(torch.float32, memory_format=torch.contiguous_format, copy=True)
    out.div_(255.0)
    shape = (1, -1) + (1,) * (out.ndim - 2)
    if any(mean):  # x - 0 is x: the 3D statistics skip a pass
        out.sub_(torch.tensor(mean, dtype=out.dtype, device=out.device).view(shape))
    out.div_(torch.tensor(std, dtype=out.dtype, device=out.device).view(shape))
    return out.expand(-1, 3, *out.shape[2:]).contiguous() if repeat else out
