"""TFDS's own conformance test for the MedMNIST builder, on the files in ``dummy_data/``.

``DatasetBuilderTestCase`` registers the builder, builds each listed config from
``dummy_data/`` (given to the builder as its ``manual_dir``), reads every split back
through ``tf.data`` in eager mode, checks shapes and dtypes against the features,
example counts, that no example is shared between splits, that a reloaded builder
sees the same data, and that the tags are valid TFDS tags.

Covered: a 2D grayscale (``breastmnist``), a 2D RGB (``bloodmnist``), the multi-label
``chestmnist``, a 3D config (``organmnist3d``), a 224 px config
(``pneumoniamnist_224``) and a 64-voxel 3D config (``vesselmnist3d_64``).

Run alone with ``python -m medmnist_hub.tfds_builders.medmnist.medmnist_dataset_builder_test``;
the project's pytest suite collects it through ``tests/tfds``.
"""

import tensorflow_datasets as tfds

from medmnist_hub.tfds_builders import dummy_data
from medmnist_hub.tfds_builders.medmnist import medmnist_dataset_builder


class MedmnistTest(tfds.testing.DatasetBuilderTestCase):
    """Build and read the dummy configs exactly as TFDS's catalog tests do."""

    DATASET_CLASS = medmnist_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = list(dummy_data.DUMMY_CONFIGS)
    SPLITS = {
        "train": dummy_data.DUMMY_SPLIT_SIZES["train"],
        "validation": dummy_data.DUMMY_SPLIT_SIZES["val"],
        "test": dummy_data.DUMMY_SPLIT_SIZES["test"],
    }


if __name__ == "__main__":
    tfds.testing.test_main()
