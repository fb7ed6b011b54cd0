"""TFDS's conformance test (``DatasetBuilderTestCase``) on the files in ``dummy_data/``.

One test case per covered config: a 2D grayscale, a 2D RGB, the multi-label, a 3D, a
MedMNIST+ 224 px and a 64-voxel config. Each builds its config from the tiny dummy file
(in the official layout) that ``dl_manager.download`` is mocked to return, reads every
split back, and checks shapes, dtypes, counts and tags. The dummy files are not the
official bytes, so each case swaps in the dummy file's MD5 for the official one: the MD5
check itself still runs. URL checksums are checked for every config that
``checksums.tsv`` registers; the others wait for ``tfds build --register_checksums``
(see README.md).

Run: ``python medmnist_dataset_builder_test.py`` (or with pytest).
"""

import hashlib
from unittest import mock

import tensorflow_datasets as tfds

from . import medmnist_dataset_builder as builder_module

DUMMY_DIR = builder_module._HERE / "dummy_data"
TESTED_CONFIGS = ("breastmnist", "bloodmnist", "chestmnist", "organmnist3d", "pneumoniamnist_224", "vesselmnist3d_64")


def _make_case(config: str):
    facts = builder_module.CONFIGS[config]
    dummy_md5 = hashlib.md5((DUMMY_DIR / facts["filename"]).read_bytes()).hexdigest()

    class Case(tfds.testing.DatasetBuilderTestCase):
        DATASET_CLASS = builder_module.Builder
        BUILDER_CONFIG_NAMES_TO_TEST = [config]
        DL_DOWNLOAD_RESULT = facts["filename"]
        SPLITS = {"train": 3, "validation": 2, "test": 2}
        SKIP_CHECKSUMS = facts["url"] not in (builder_module.Builder.url_infos or {})

        def setUp(self):
            super().setUp()
            patcher = mock.patch.dict(builder_module.CONFIGS[config], {"md5": dummy_md5})
            patcher.start()
            self.addCleanup(patcher.stop)

    Case.__name__ = Case.__qualname__ = f"MedmnistTest_{config}"
    return Case


for _config in TESTED_CONFIGS:
    globals()[f"MedmnistTest_{_config}"] = _make_case(_config)
del _config


if __name__ == "__main__":
    tfds.testing.test_main()
