"""TFDS's ``DatasetBuilderTestCase`` for the builder, collected from the dataset folder.

The test class lives next to the builder (``medmnist_dataset_builder_test.py``), as in
the TFDS catalog; importing it here lets the project's pytest run it.  It covers a 2D
grayscale, a 2D RGB, the multi-label, a 3D, a 224 px and a 64-voxel config, built from
``dummy_data/`` through ``manual_dir``.
"""

from tfds_helpers import require_module

require_module("tensorflow", "tfds.testing needs TensorFlow ([tf] extra)")

from medmnist_hub.tfds_builders.medmnist.medmnist_dataset_builder_test import MedmnistTest  # noqa: E402,F401
