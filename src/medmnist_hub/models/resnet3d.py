"""timm's ResNet-18/50 converted to volumes the three ways the MedMNIST v2 paper benchmarks.

The paper (Table 4; code: MedMNIST/experiments ``MedMNIST3D/models.py`` +
``train_and_eval_pytorch.py``, converters from M3DV/ACSConv) takes a 2D ResNet with the
small-image stem -- a 3x3 stride-1 first convolution, no max-pool, stages at strides
1, 2, 2, 2 -- and turns every 2D layer into a 3D one:

* ``2p5d``: each k x k kernel becomes a 1 x k x k kernel (2D filters run slice by slice;
  strides still apply along depth, and the global pool averages over depth);
* ``3d``: each kernel is inflated to k x k x k, initialised I3D-style (the 2D kernel
  copied along depth and divided by k, the paper's default ``--pretrained_3d i3d``);
* ``acs``: the output channels of each kernel are split in three near-equal groups
  (remainder to the first groups) that convolve the axial (1 x k x k), coronal
  (k x 1 x k) and sagittal (k x k x 1) planes; the results are concatenated.  The weight
  keeps its 2D shape (Yang et al., "Reinventing 2D convolutions for 3D images").

BatchNorm2d becomes BatchNorm3d and the global average pool runs over (D, H, W).  The
models take ``(B, C, D, H, W)``; the same stem is used at 28^3 and 64^3, as in the
paper's script.  Initialisation: from scratch, as the paper -- timm's own init of the 2D
ResNet (Kaiming-normal convolutions, zero-init of each block's last BatchNorm), then
converted as above; no ImageNet weights.

Each variant is a timm model class (a subclass of timm's ``ResNet``, so its
``forward_features``/``forward_head``/``get_classifier`` are timm's) registered under
``resnet18_3d``, ``resnet18_acs``, ``resnet18_2p5d``, ``resnet50_3d``, ``resnet50_acs``,
``resnet50_2p5d`` when this module is imported (``import medmnist_hub.models``).  Plain
timm cannot build these names without that import, which is why the checkpoints' cards
say so.  This is our own implementation of the published operators, not a copy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from timm.models.resnet import BasicBlock, Bottleneck, ResNet
from torch import nn

CONVERSIONS = ("2p5d", "3d", "acs")
DEPTHS = {"resnet18": (BasicBlock, (2, 2, 2, 2)), "resnet50": (Bottleneck, (3, 4, 6, 3))}
#: Registered names, e.g. "resnet18_acs".
MODEL_NAMES = tuple(f"{arch}_{conv}" for arch in DEPTHS for conv in ("3d", "acs", "2p5d"))


def _triple(v) -> tuple[int, int, int]:
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(v) != 2 or v[0] != v[1]:
        raise ValueError(f"only square 2D kernels, strides and paddings convert to 3D (got {v})")
    return (v[0],) * 3


class ACSConv(nn.Module):
    """ACS convolution: one 2D-shaped kernel whose output channels see three orthogonal planes.

    ``weight`` is (out, in, k, k).  Output channels ``[0, a)`` use it as 1 x k x k (axial),
    ``[a, a + c)`` as k x 1 x k (coronal), the rest as k x k x 1 (sagittal); padding is
    dropped along each group's unit axis, so all three produce the same output shape.
    """

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        if conv.groups != 1:
            raise ValueError("ACS conversion supports groups=1 convolutions only")
        (k, _, _), (s, _, _), (p, _, _) = _triple(conv.kernel_size), _triple(conv.stride), _triple(conv.padding)
        (d, _, _) = _triple(conv.dilation)
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = k, s, p, d
        self.weight = nn.Parameter(conv.weight.detach().clone())
        self.bias = nn.Parameter(conv.bias.detach().clone()) if conv.bias is not None else None
        q, r = divmod(self.out_channels, 3)
        self.split = (q + (r > 0), q + (r > 1), q)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, c, _ = self.split
        groups = (self.weight[:a], self.weight[a : a + c], self.weight[a + c :])
        p, outs = self.padding, []
        for axis, w in enumerate(groups):
            if w.shape[0] == 0:
                continue
            padding = [p, p, p]
            padding[axis] = 0
            outs.append(F.conv3d(x, w.unsqueeze(2 + axis), None, self.stride, tuple(padding), self.dilation))
        out = torch.cat(outs, dim=1)
        return out if self.bias is None else out + self.bias.view(1, -1, 1, 1, 1)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, split={self.split}"
        )


def convert_conv(conv: nn.Conv2d, conversion: str) -> nn.Module:
    """The 3D counterpart of ``conv`` under ``conversion``, carrying its (2D-initialised) weights."""
    if conversion == "acs":
        return ACSConv(conv)
    k, s, p, d = (_triple(v) for v in (conv.kernel_size, conv.stride, conv.padding, conv.dilation))
    if conversion == "2p5d":
        k, p = (1, *k[1:]), (0, *p[1:])
    elif conversion != "3d":
        raise ValueError(f"unknown conversion {conversion!r}; choose one of {CONVERSIONS}")
    out = nn.Conv3d(conv.in_channels, conv.out_channels, k, s, p, d, conv.groups, conv.bias is not None)
    w2 = conv.weight.detach()
    with torch.no_grad():
        # 2.5D: the 2D kernel as a 1 x k x k slice; 3D: I3D inflation (copied along depth, / depth).
        out.weight.copy_(w2.unsqueeze(2).expand_as(out.weight) / k[0])
        if conv.bias is not None:
            out.bias.copy_(conv.bias.detach())
    return out


def convert_batchnorm(bn: nn.BatchNorm2d) -> nn.BatchNorm3d:
    out = nn.BatchNorm3d(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats)
    out.load_state_dict(bn.state_dict())
    return out


def convert_to_3d(module: nn.Module, conversion: str) -> nn.Module:
    """Replace, in place, every Conv2d and BatchNorm2d below ``module``; refuse any other 2D layer."""
    for name, child in module.named_children():
        if isinstance(child, nn.Conv2d):
            setattr(module, name, convert_conv(child, conversion))
        elif isinstance(child, nn.BatchNorm2d):
            setattr(module, name, convert_batchnorm(child))
        elif type(child).__name__.endswith("2d"):
            raise TypeError(f"{name}: no 3D conversion for {type(child).__name__}")
        else:
            convert_to_3d(child, conversion)
    return module


class GlobalAvgPool3d(nn.Module):
    """Average over (D, H, W), flattened: timm's ``global_pool`` slot for volumes."""

    pool_type = "avg"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3, 4))

    def feat_mult(self) -> int:
        return 1

    def is_identity(self) -> bool:
        return False


class ResNet3d(ResNet):
    """timm's ResNet with the paper's small-image stem, converted to 3D by ``conversion``."""

    def __init__(self, conversion: str = "3d", architecture: str = "resnet18", in_chans: int = 1,
                 num_classes: int = 1000, global_pool: str = "avg", **kwargs):
        if conversion not in CONVERSIONS:
            raise ValueError(f"unknown conversion {conversion!r}; choose one of {CONVERSIONS}")
        if global_pool != "avg":
            raise ValueError(f"{architecture}_{conversion} supports global_pool='avg' only (got {global_pool!r})")
        block, layers = DEPTHS[architecture]
        super().__init__(block=block, layers=layers, in_chans=in_chans, num_classes=num_classes, **kwargs)
        # The paper's stem: 3x3 stride-1 convolution, no max-pool (timm's init for the new conv).
        self.conv1 = nn.Conv2d(in_chans, self.conv1.out_channels, kernel_size=3, stride=1, padding=1, bias=False)
        nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")
        self.maxpool = nn.Identity()
        self.global_pool = GlobalAvgPool3d()
        for info in self.feature_info:  # strides 1, 1, 2, 4, 8 relative to the input (no stem downsampling)
            info["reduction"] = max(1, info["reduction"] // 4)
        convert_to_3d(self, conversion)
        self.conversion = conversion

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        if global_pool not in (None, "avg"):
            raise ValueError("3D ResNets support global_pool='avg' only")
        self.num_classes = num_classes
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()


def _cfg() -> dict:
    # input_size must be (C, H, W) for timm's builder; the volume is (C, D, H, W) with D = H = W.
    return {
        "url": "",
        "input_size": (1, 28, 28),
        "interpolation": "nearest",
        "crop_pct": 1.0,
        "crop_mode": "center",
        "mean": (0.0,),
        "std": (1.0,),
        "first_conv": "conv1",
        "classifier": "fc",
    }


default_cfgs = generate_default_cfgs({f"{name}.untrained": _cfg() for name in MODEL_NAMES})


def _create(name: str, pretrained: bool, **kwargs) -> ResNet3d:
    architecture, conversion = name.rsplit("_", 1)
    return build_model_with_cfg(
        ResNet3d, name, pretrained, conversion=conversion, architecture=architecture, **kwargs
    )


@register_model
def resnet18_3d(pretrained: bool = False, **kwargs) -> ResNet3d:
    """ResNet-18 + 3D (MedMNIST v2): k x k x k kernels, I3D-inflated init."""
    return _create("resnet18_3d", pretrained, **kwargs)


@register_model
def resnet18_acs(pretrained: bool = False, **kwargs) -> ResNet3d:
    """ResNet-18 + ACS (MedMNIST v2): axial/coronal/sagittal kernel split."""
    return _create("resnet18_acs", pretrained, **kwargs)


@register_model
def resnet18_2p5d(pretrained: bool = False, **kwargs) -> ResNet3d:
    """ResNet-18 + 2.5D (MedMNIST v2): 1 x k x k kernels."""
    return _create("resnet18_2p5d", pretrained, **kwargs)


@register_model
def resnet50_3d(pretrained: bool = False, **kwargs) -> ResNet3d:
    """ResNet-50 + 3D (MedMNIST v2)."""
    return _create("resnet50_3d", pretrained, **kwargs)


@register_model
def resnet50_acs(pretrained: bool = False, **kwargs) -> ResNet3d:
    """ResNet-50 + ACS (MedMNIST v2)."""
    return _create("resnet50_acs", pretrained, **kwargs)


@register_model
def resnet50_2p5d(pretrained: bool = False, **kwargs) -> ResNet3d:
    """ResNet-50 + 2.5D (MedMNIST v2)."""
    return _create("resnet50_2p5d", pretrained, **kwargs)
