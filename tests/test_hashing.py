"""The one block-hashing loop: digests equal hashlib's over the whole bytes, whatever the block size."""

from __future__ import annotations

import hashlib

import pytest
from support.real_data import real_file_or_skip

from medmnist_hub.download import md5sum
from medmnist_hub.hashing import file_digest, file_digests, update_from_file


@pytest.mark.parametrize("block_size", [1, 7, 1 << 20])
def test_digests_match_hashlib_on_the_whole_bytes(tmp_path, block_size):
    data = bytes(range(256)) * 41 + b"tail"
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert file_digest(path, "md5", block_size=block_size) == hashlib.md5(data).hexdigest()
    assert file_digests(path, ("md5", "sha256", "sha1"), block_size=block_size) == {
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
    }
    seeded = hashlib.sha1(b"prefix")
    update_from_file(path, seeded, block_size=block_size)
    assert seeded.hexdigest() == hashlib.sha1(b"prefix" + data).hexdigest()


def test_empty_file_and_unknown_algorithm(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert file_digest(path) == hashlib.sha256(b"").hexdigest()
    with pytest.raises(ValueError, match="nosuchhash"):
        file_digest(path, "nosuchhash")


def test_md5sum_of_a_real_file_is_its_catalog_md5():
    from medmnist_hub.catalog import get_subset

    path = real_file_or_skip("breastmnist")
    assert md5sum(path) == file_digest(path, "md5") == get_subset("breastmnist").file(28).md5
