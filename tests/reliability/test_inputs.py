"""Reliability: damaged, hostile or wrong input files give a clear error in every consumer
(validation, HF builder, Hub export, TFDS builder) and leave nothing behind: no prepared
dataset in the cache, no half-written config in an export, and a previous good export of
another config untouched."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from medmnist_hub.errors import FormatError, MedMNISTHubError
from medmnist_hub.synthetic import synthetic_arrays
from medmnist_hub.validate import validate_file

SUBSET = "pneumoniamnist"
SMALL = {"train": 12, "val": 6, "test": 8}


def _save(path: Path, arrays: dict, compressed: bool = True) -> Path:
    with open(path, "wb") as f:
        (np.savez_compressed if compressed else np.savez)(f, **arrays)
    return path


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=array.dtype.hasobject)
    return buf.getvalue()


class _Canary:
    path = ""

    def __reduce__(self):
        return (open, (self.path, "w"))


def _make(kind: str, path: Path, canary: Path) -> tuple[Path, str]:
    """Write a bad ``pneumoniamnist.npz`` of the given kind; return it and the expected message."""
    arrays = synthetic_arrays(SUBSET, 28, SMALL)
    if kind == "truncated":
        _save(path, arrays)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) * 2 // 3])
        return path, "not a readable .npz"
    if kind == "corrupted":
        _save(path, arrays, compressed=False)
        data = bytearray(path.read_bytes())
        data[data.find(b"\x93NUMPY") + 300] ^= 0xFF
        path.write_bytes(bytes(data))
        return path, "damaged data"
    if kind == "pickle":
        _Canary.path = str(canary)
        arrays["test_labels"] = np.array([_Canary()] * 3, dtype=object)
        _save(path, arrays)
        return path, "holds Python objects"
    if kind == "huge_shape":
        with zipfile.ZipFile(path, "w") as zf:
            for key, value in arrays.items():
                if key != "val_images":
                    zf.writestr(f"{key}.npy", _npy_bytes(value))
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (2**40, 28, 28)})
            zf.writestr("val_images.npy", header.getvalue() + b"\x00" * 64)
        return path, "declares shape"
    if kind == "duplicate_member":
        with zipfile.ZipFile(path, "w") as zf:
            for key, value in arrays.items():
                zf.writestr(f"{key}.npy", _npy_bytes(value))
            with pytest.warns(UserWarning, match="Duplicate name"):
                zf.writestr("train_labels.npy", _npy_bytes(np.full((12, 1), 9, np.uint8)))
        return path, "holds member 'train_labels.npy' twice"
    if kind == "zip_path_trick":
        with zipfile.ZipFile(path, "w") as zf:
            for key, value in arrays.items():
                zf.writestr(f"{key}.npy", _npy_bytes(value))
            zf.writestr("../../escape.npy", _npy_bytes(np.zeros(3, np.uint8)))
        return path, "path-like name"
    if kind == "wrong_dtype":
        arrays["train_images"] = arrays["train_images"].astype(np.int16)
        _save(path, arrays)
        return path, "dtype is int16, expected uint8"
    if kind == "wrong_shape":
        arrays["val_images"] = arrays["val_images"][:, :27, :]
        _save(path, arrays)
        return path, "shape is (6, 27, 28), expected (N, 28, 28)"
    if kind == "label_out_of_range":
        arrays["test_labels"][5, 0] = 2
        _save(path, arrays)
        return path, "label 2 at row 5"
    if kind == "missing_key":
        del arrays["val_labels"]
        _save(path, arrays)
        return path, "missing key"
    raise AssertionError(kind)


KINDS = [
    "truncated", "corrupted", "pickle", "huge_shape", "duplicate_member", "zip_path_trick",
    "wrong_dtype", "wrong_shape", "label_out_of_range", "missing_key",
]


@pytest.fixture
def bad_file(request, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    canary = tmp_path / "unpickled-canary"
    path, message = _make(request.param, folder / f"{SUBSET}.npz", canary)
    yield path, message
    assert not canary.exists(), "a pickle in the input was executed"
    assert not (tmp_path.parent / "escape.npy").exists()


@pytest.mark.parametrize("bad_file", KINDS, indirect=True)
def test_validation_names_the_problem(bad_file):
    path, message = bad_file
    with pytest.raises(FormatError, match=re.escape(message)) as err:
        validate_file(path, SUBSET, 28, split_sizes=SMALL)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("bad_file", KINDS, indirect=True)
def test_hf_builder_fails_clearly_and_caches_nothing(bad_file, tmp_path):
    from medmnist_hub.hf_builders import load_medmnist

    path, message = bad_file
    cache = tmp_path / "hf-cache"
    with pytest.raises(MedMNISTHubError, match=re.escape(message)) as err:
        load_medmnist(SUBSET, npz_path=path, cache_dir=cache)
    assert path.name in str(err.value)
    assert not list(cache.rglob("*.arrow")), "a prepared split was left in the cache"
    assert not [p for p in cache.rglob("dataset_info.json")], "the cache claims a prepared dataset"


@pytest.mark.parametrize("bad_file", KINDS, indirect=True)
def test_export_fails_clearly_and_keeps_the_previous_export(bad_file, tmp_path):
    from medmnist_hub.hf_builders import export_hub_repo
    from medmnist_hub.synthetic import write_synthetic

    path, message = bad_file
    out = tmp_path / "export"
    good = write_synthetic(tmp_path / "good", "breastmnist", 28, SMALL)
    export_hub_repo(out, ["breastmnist"], npz_paths={"breastmnist": good}, progress=False)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(MedMNISTHubError, match=re.escape(message)):
        export_hub_repo(out, [SUBSET], npz_paths={SUBSET: path}, progress=False)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before, "a failed export changed the repo folder"
    assert not (out / "data" / SUBSET).exists()


@pytest.mark.parametrize("bad_file", ["truncated", "pickle", "huge_shape", "wrong_shape", "label_out_of_range"], indirect=True)
def test_tfds_builder_fails_clearly_and_prepares_nothing(bad_file, tmp_path):
    import tensorflow_datasets as tfds

    import medmnist_hub.tfds_builders  # noqa: F401  (registers "medmnist")

    path, message = bad_file
    data_dir = tmp_path / "tfds"
    builder = tfds.builder(f"medmnist/{SUBSET}", data_dir=str(data_dir), npz_path=str(path), file_format="array_record")
    with pytest.raises(MedMNISTHubError, match=re.escape(message)):
        builder.download_and_prepare()
    prepared = [p for p in data_dir.rglob("dataset_info.json")]
    assert prepared == [], f"a prepared dataset was left behind: {prepared}"
