"""The streaming reader returns exactly what np.load returns, in bounded chunks,
and refuses damaged or hostile files with messages naming file and key."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from support.real_data import REAL_CONFIGS, real_file_or_skip

from medmnist_hub.catalog import SPLITS, get_subset
from medmnist_hub.errors import FormatError
from medmnist_hub.npz_reader import NpzReader
from medmnist_hub.synthetic import synthetic_arrays, write_npz_streaming, write_synthetic
from medmnist_hub.validate import validate_file


@pytest.mark.parametrize("config, subset, size", REAL_CONFIGS)
def test_real_file_streams_exactly_like_np_load(config, subset, size):
    path = real_file_or_skip(config)
    sub = get_subset(subset)
    with np.load(path, allow_pickle=False) as ref, NpzReader(path) as reader:
        assert set(reader.arrays) == set(ref.files)
        for split in SPLITS:
            images_ref, labels_ref = ref[f"{split}_images"], ref[f"{split}_labels"]
            assert len(images_ref) == sub.split_sizes[split]
            chunk_sizes = (1 if len(images_ref) < 600 else 97, 37, 10_000) if size == 28 else (37, 10_000)
            for chunk_rows in chunk_sizes:
                pos = 0
                for images, labels in reader.iter_split(split, chunk_rows=chunk_rows):
                    assert len(images) <= chunk_rows and images.dtype == np.uint8
                    assert np.array_equal(images, images_ref[pos : pos + len(images)])
                    assert np.array_equal(labels, labels_ref[pos : pos + len(labels)])
                    pos += len(images)
                assert pos == len(images_ref)
            np.testing.assert_array_equal(reader.read(f"{split}_images", 5, 17), images_ref[5:17])
    summary = validate_file(path, sub, size)
    assert [s.count for s in summary.splits.values()] == list(sub.split_sizes.values())


def _save(path, arrays, compressed=True):
    with open(path, "wb") as f:
        (np.savez_compressed if compressed else np.savez)(f, **arrays)
    return path


@pytest.mark.parametrize("compressed", [True, False])
def test_stored_and_deflated_members(tmp_path, compressed):
    arrays = synthetic_arrays("bloodmnist", 28, {"train": 50, "val": 5, "test": 7})
    path = _save(tmp_path / "bloodmnist.npz", arrays, compressed)
    with NpzReader(path) as reader:
        assert reader.info("train_images").compressed is compressed
        got = np.concatenate(list(reader.iter_chunks("train_images", 8)))
    np.testing.assert_array_equal(got, arrays["train_images"])
    validate_file(path, "bloodmnist", 28, split_sizes={"train": 50, "val": 5, "test": 7})


def test_streaming_writer_round_trip(tmp_path):
    arrays = synthetic_arrays("organmnist3d", 28, {"train": 9, "val": 3, "test": 4})
    members = {k: (v.shape, (lambda v=v: (v[i : i + 2] for i in range(0, len(v), 2)))) for k, v in arrays.items()}
    for compressed in (False, True):
        path = write_npz_streaming(tmp_path / f"x{compressed}.npz", members, compressed=compressed)
        with np.load(path, allow_pickle=False) as ref:
            for k, v in arrays.items():
                np.testing.assert_array_equal(ref[k], v)
        validate_file(path, "organmnist3d", 28, split_sizes={"train": 9, "val": 3, "test": 4})


# -- bad files ---------------------------------------------------------------------------
SMALL = {"train": 6, "val": 3, "test": 4}


@pytest.fixture
def good_arrays():
    return synthetic_arrays("pneumoniamnist", 28, SMALL)


def test_truncated_zip(tmp_path, good_arrays):
    path = _save(tmp_path / "p.npz", good_arrays)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"p\.npz: not a readable \.npz"):
        NpzReader(path)


def test_corrupted_payload_fails_crc(tmp_path, good_arrays):
    path = _save(tmp_path / "p.npz", good_arrays, compressed=False)
    data = bytearray(path.read_bytes())
    offset = data.find(b"\x93NUMPY") + 200  # inside the first member's pixels
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with NpzReader(path) as reader, pytest.raises(FormatError, match=r"train_images\].*damaged data"):
        list(reader.iter_chunks("train_images"))


def test_missing_key(tmp_path, good_arrays):
    del good_arrays["val_labels"]
    path = _save(tmp_path / "p.npz", good_arrays)
    with pytest.raises(FormatError, match=r"missing key\(s\) \['val_labels'\]"):
        validate_file(path, "pneumoniamnist", 28, SMALL)


def test_extra_key(tmp_path, good_arrays):
    good_arrays["notes"] = np.zeros(3, np.uint8)
    path = _save(tmp_path / "p.npz", good_arrays)
    with pytest.raises(FormatError, match=r"unexpected key\(s\) \['notes'\]"):
        validate_file(path, "pneumoniamnist", 28, SMALL)


def test_wrong_dtype(tmp_path, good_arrays):
    good_arrays["test_images"] = good_arrays["test_images"].astype(np.float32)
    path = _save(tmp_path / "p.npz", good_arrays)
    with pytest.raises(FormatError, match=r"\[test_images\]: dtype is float32, expected uint8"):
        validate_file(path, "pneumoniamnist", 28, SMALL)


def test_wrong_shape(tmp_path, good_arrays):
    good_arrays["train_images"] = np.zeros((6, 28, 28, 3), np.uint8)
    path = _save(tmp_path / "p.npz", good_arrays)
    with pytest.raises(FormatError, match=r"\[train_images\]: shape is \(6, 28, 28, 3\), expected \(N, 28, 28\)"):
        validate_file(path, "pneumoniamnist", 28, SMALL)


def test_wrong_split_count_against_catalog(shared_data_dir):
    with pytest.raises(FormatError, match="has 546 examples, the catalog says pneumoniamnist train has 4708"):
        validate_file(shared_data_dir / "breastmnist.npz", "pneumoniamnist", 28)


def test_label_out_of_range(tmp_path, good_arrays):
    good_arrays["val_labels"][2, 0] = 7
    path = _save(tmp_path / "p.npz", good_arrays)
    with pytest.raises(FormatError, match=r"\[val_labels\]: label 7 at row 2, column 0 is out of range: expected in \[0, 1\]"):
        validate_file(path, "pneumoniamnist", 28, SMALL)


def test_multilabel_value_out_of_range(tmp_path):
    arrays = synthetic_arrays("chestmnist", 28, SMALL)
    arrays["test_labels"][1, 13] = 2
    path = _save(tmp_path / "c.npz", arrays)
    with pytest.raises(FormatError, match=r"label 2 at row 1, column 13 .*0 or 1"):
        validate_file(path, "chestmnist", 28, SMALL)


def test_object_array_is_refused_without_unpickling(tmp_path, good_arrays):
    """A pickled payload whose unpickling would create a file: refused at the header, file never created."""
    canary = tmp_path / "unpickled"

    class Evil:
        def __reduce__(self):
            return (open, (str(canary), "w"))

    good_arrays["train_labels"] = np.array([Evil(), None], dtype=object)
    path = tmp_path / "p.npz"
    with open(path, "wb") as f:
        np.savez(f, **good_arrays)
    with pytest.raises(FormatError, match=r"\[train_labels\]: holds Python objects .*unpickling"):
        validate_file(path, "pneumoniamnist", 28, SMALL)
    assert not canary.exists()


def test_declared_shape_larger_than_data(tmp_path):
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": "|u1", "fortran_order": False, "shape": (10**9, 28, 28)})
    b.write(b"\x00" * 100)
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("train_images.npy", b.getvalue())
    with pytest.raises(FormatError, match=r"\[train_images\]: declares shape \(1000000000, 28, 28\)"):
        NpzReader(path)


def test_fortran_order_refused(tmp_path, good_arrays):
    good_arrays["train_images"] = np.asfortranarray(good_arrays["train_images"])
    path = _save(tmp_path / "p.npz", good_arrays)
    with pytest.raises(FormatError, match="Fortran order"):
        NpzReader(path)


@pytest.mark.parametrize("name", ["../evil.npy", "/abs.npy", "dir/train_images.npy", "readme.txt"])
def test_path_like_or_foreign_members_refused(tmp_path, name):
    path = tmp_path / "z.npz"
    b = io.BytesIO()
    np.save(b, np.zeros(3, np.uint8))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(name, b.getvalue())
    with pytest.raises(FormatError, match="z.npz"):
        NpzReader(path)


def test_not_a_zip(tmp_path):
    path = tmp_path / "x.npz"
    path.write_bytes(b"this is not a zip file at all")
    with pytest.raises(FormatError, match="not a readable .npz"):
        NpzReader(path)


def test_write_synthetic_has_official_member_order(tmp_path):
    path = write_synthetic(tmp_path, "breastmnist", 28)
    with zipfile.ZipFile(path) as zf:
        assert [i.filename for i in zf.infolist()] == [
            "train_images.npy", "val_images.npy", "test_images.npy", "train_labels.npy", "val_labels.npy", "test_labels.npy"
        ]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())


def test_label_block_check_counts_rows_from_the_block_start():
    from medmnist_hub.catalog import get_subset
    from medmnist_hub.validate import check_label_block

    block = np.array([[0], [1], [2]], dtype=np.uint8)
    with pytest.raises(
        FormatError, match=r"^f\.npz \[train_labels\]: label 2 at row 1002, column 0 is out of range: expected in \[0, 1\]$"
    ):
        check_label_block("f.npz", get_subset("breastmnist"), "train_labels", block, 1000)
    check_label_block("f.npz", get_subset("breastmnist"), "train_labels", block[:2], 1000)  # in range: no error
