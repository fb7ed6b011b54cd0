"""From the HF builder's splits to tensors the Trainer can batch quickly.

Each split is decoded once from the ``datasets`` cache into one uint8 tensor (the
largest split we train on here is a few hundred MB at most); batches are then
preprocessed as a whole by :class:`BatchCollator`.  Labels become int64 class ids, or a
float multi-hot matrix for ChestMNIST (what ``BCEWithLogits`` wants).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..catalog import PUBLISHED_SPLIT_NAMES
from .protocol import ModelSpec
from .transforms import to_pixel_values



@dataclass
class SplitTensors:
    images: torch.Tensor  # uint8, official layout
    labels: torch.Tensor  # int64 (N,) or float32 (N, 14)
    ids: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def official_labels(self) -> np.ndarray:
        """Labels in the official array layout: (N, 1) class ids or (N, 14) multi-hot, uint8."""
        lab = self.labels.numpy()
        return (lab if lab.ndim == 2 else lab[:, None]).astype(np.uint8)


def dataset_to_tensors(ds, spec: ModelSpec) -> SplitTensors:
    """Decode a builder split (columns ``image``, ``label``, ``id``) into tensors."""
    images = ds.with_format("numpy", columns=["image"], dtype=np.uint8)["image"]
    images = np.stack(images) if isinstance(images, list) else np.asarray(images, dtype=np.uint8)
    if spec.subset.is_multilabel:
        from ..hf_builders import multi_hot

        label_tensor = torch.from_numpy(multi_hot(ds).astype(np.float32))
    else:
        label_tensor = torch.as_tensor(np.asarray(ds["label"], dtype=np.int64))
    return SplitTensors(torch.from_numpy(np.ascontiguousarray(images)), label_tensor, list(ds["id"]))


def load_splits(
    spec: ModelSpec,
    *,
    source_dirs: Sequence[os.PathLike | str] = (),
    npz_path: os.PathLike | str | None = None,
    cache_dir: os.PathLike | str | None = None,
) -> dict[str, SplitTensors]:
    """The official train/val/test splits of ``spec``'s config, through the HF builder."""
    from ..hf_builders import load_medmnist

    dsd = load_medmnist(spec.config_name, source_dirs=source_dirs, npz_path=npz_path, cache_dir=cache_dir)
    return {ours: dataset_to_tensors(dsd[hf], spec) for ours, hf in PUBLISHED_SPLIT_NAMES.items()}


class TensorSplitDataset(torch.utils.data.Dataset):
    """Items are ``{"pixel_values": uint8 tensor, "labels": ...}``; preprocessing happens per batch.

    With ``augment`` (training on the binary-mask 3D subsets) each item also carries a
    random intensity factor drawn from torch's global generator, which the Trainer seeds.
    """

    def __init__(self, split: SplitTensors, augment: bool = False):
        self.split = split
        self.augment = augment

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, i: int) -> dict:
        item = {"pixel_values": self.split.images[i], "labels": self.split.labels[i]}
        if self.augment:
            item["intensity"] = torch.rand(())
        return item


class BatchCollator:
    """Stacks items and turns the uint8 batch into normalised ``pixel_values``."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec

    def __call__(self, items: list[dict]) -> dict:
        images = torch.stack([it["pixel_values"] for it in items])
        labels = torch.stack([it["labels"] for it in items])
        pixel_values = to_pixel_values(images, self.spec)
        if "intensity" in items[0]:
            # Training on binary masks: a random intensity replaces the fixed x0.5 of evaluation.
            ones = (1,) * (pixel_values.ndim - 2)
            factor = torch.stack([it["intensity"] for it in items]).view(-1, 1, *ones)
            scale = torch.tensor(self.spec.std, dtype=pixel_values.dtype).view(1, -1, *ones)
            pixel_values = pixel_values * scale * factor
        return {"pixel_values": pixel_values, "labels": labels}
