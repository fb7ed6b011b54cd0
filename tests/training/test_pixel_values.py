"""``to_pixel_values`` keeps the textbook maths bit for bit while it does the layout work on uint8.

The reference below is the plain formula -- float32 first, then layout, upsampling and
``(x / 255 - mean) / std`` -- applied to batches holding every uint8 value, so a fused or
reordered step that changes a single float shows up as a mismatch.
"""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")
F = pytest.importorskip("torch.nn.functional")

from medmnist_hub.training.protocol import model_spec  # noqa: E402
from medmnist_hub.training.transforms import to_pixel_values  # noqa: E402


def _textbook(images, spec):
    x = images.float() / 255.0
    if spec.volumetric:
        x = x.unsqueeze(1)
    elif spec.subset.is_3d:
        pass
    elif x.ndim == 3:
        x = x.unsqueeze(1).repeat(1, 3, 1, 1)
    else:
        x = x.permute(0, 3, 1, 2)
    if spec.upsample > 1:
        x = F.interpolate(x, scale_factor=spec.upsample, mode="nearest")
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - torch.tensor(spec.mean).view(shape)) / torch.tensor(spec.std).view(shape)


def _every_value(shape):
    """A uint8 batch of ``shape`` that holds each of the 256 values, in a scrambled order."""
    n = 1
    for d in shape:
        n *= d
    values = torch.arange(n, dtype=torch.int64) % 256
    return values[torch.randperm(n, generator=torch.Generator().manual_seed(0))].to(torch.uint8).view(shape)


GRAY_IMAGENET = dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))

CASES = [
    ("pneumoniamnist", "resnet18", 28, (9, 28, 28), {}),
    ("retinamnist", "resnet18", 28, (9, 28, 28, 3), {}),
    ("pneumoniamnist", "resnet18", 224, (2, 28, 28), {}),
    ("retinamnist", "resnet18", 56, (3, 28, 28, 3), {}),
    ("pneumoniamnist", "resnet18", 28, (9, 28, 28), GRAY_IMAGENET),  # per-channel statistics on a gray image
    ("pneumoniamnist", "resnet18", 28, (9, 28, 28), dict(mean=(0.5,) * 3, std=(0.5, 0.25, 0.125))),  # equal means
    ("pneumoniamnist", "resnet18", 28, (9, 28, 28), dict(mean=(0.5,), std=(0.5,))),  # one statistic: still 3 channels
    ("retinamnist", "resnet18", 28, (9, 28, 28, 3), GRAY_IMAGENET),
    ("adrenalmnist3d", "resnet18_3d", None, (3, 28, 28, 28), {}),  # volumetric: one channel, mean 0
    ("adrenalmnist3d", "resnet18", None, (2, 28, 28, 28), {}),  # depth as channels, upsampled
]


@pytest.mark.parametrize("config,architecture,size,shape,stats", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_to_pixel_values_equals_the_textbook_formula(config, architecture, size, shape, stats):
    spec = model_spec(config, architecture=architecture, input_size=size)
    if stats:
        spec = dataclasses.replace(spec, **stats)
    images = _every_value(shape)
    got, want = to_pixel_values(images, spec), _textbook(images, spec)
    assert got.dtype == torch.float32 and got.is_contiguous()
    assert got.shape == want.shape
    assert torch.equal(got, want), (got - want).abs().max()
    assert torch.equal(images, _every_value(shape))  # the uint8 batch is not written to


@pytest.mark.parametrize("config,shape", [("retinamnist", (28, 9, 28, 3)), ("pneumoniamnist", (28, 9, 28))])
def test_a_non_contiguous_batch_gives_the_same_values(config, shape):
    spec = model_spec(config, architecture="resnet18", input_size=28)
    strided = _every_value(shape).transpose(0, 1)  # (9, 28, 28[, 3]) as a strided view
    assert not strided.is_contiguous()
    assert torch.equal(to_pixel_values(strided, spec), _textbook(strided.contiguous(), spec))


def test_channels_last_rgb_becomes_channels_first_and_contiguous():
    """A channels-last RGB batch gives channels-first, C-contiguous output (the layout the models expect)."""
    spec = model_spec("retinamnist", architecture="resnet18", input_size=28)
    out = to_pixel_values(_every_value((4, 28, 28, 3)), spec)
    assert out.shape == (4, 3, 28, 28) and out.stride() == (3 * 28 * 28, 28 * 28, 28, 1)
