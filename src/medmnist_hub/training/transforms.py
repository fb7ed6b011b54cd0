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
    """
    x = images.float().div_(255.0)
    if spec.volumetric:
        x = x.unsqueeze(1)
    elif spec.subset.is_3d:
        pass  # (B, D, H, W): D is already the channel axis
    elif x.ndim == 3:
        x = x.unsqueeze(1).expand(-1, 3, -1, -1)
    else:
        x = x.permute(0, 3, 1, 2)
    if spec.upsample > 1:
        x = F.interpolate(x, scale_factor=spec.upsample, mode="nearest")
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = torch.tensor(spec.mean, dtype=x.dtype, device=x.device).view(shape)
    std = torch.tensor(spec.std, dtype=x.dtype, device=x.device).view(shape)
    return ((x - mean) / std).contiguous()
