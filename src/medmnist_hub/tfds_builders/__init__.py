"""TensorFlow Datasets builder for MedMNIST v3.0: ``import medmnist_hub.tfds_builders`` registers it.

    import medmnist_hub.tfds_builders  # noqa: F401  (registers "medmnist" with TFDS)
    import tensorflow_datasets as tfds
    ds = tfds.load("medmnist/bloodmnist_64", split="train")

Importing this package first loads triton's native library where triton is installed,
before TensorFlow can be imported, which keeps a later ``import torch._dynamo`` / timm /
transformers from crashing the process (see :mod:`.import_order`). TensorFlow itself is
never imported here: ``tfds.data_source`` users do not need it.
"""

from __future__ import annotations

from .import_order import preload_before_tensorflow

preload_before_tensorflow()  # must run before anything below can pull TensorFlow in

from .examples import example_id, multi_hot  # noqa: E402
from .medmnist.medmnist_dataset_builder import Builder, MedMNISTConfig, features_for  # noqa: E402

#: The TFDS dataset name; configs are ``medmnist/<official file name without .npz>``.
DATASET_NAME = "medmnist"

__all__ = [
    "DATASET_NAME",
    "Builder",
    "MedMNISTConfig",
    "example_id",
    "features_for",
    "multi_hot",
    "preload_before_tensorflow",
]
