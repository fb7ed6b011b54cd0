"""Every fast reading path of the HF export returns exactly the official arrays, in order.

On the real files (gray, RGB, 3D): the export read back with ``load_dataset`` through
``with_format("numpy")`` and ``with_format("torch")`` (slices, and a ``DataLoader`` that
gathers shuffled indices through ``datasets``' ``__getitems__``), after
:func:`decode_images`, and the training path (``dataset_to_tensors`` ->
``TensorSplitDataset`` -> ``BatchCollator``), against the ``.npz`` arrays themselves.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.real_data import real_file_or_skip, require

from medmnist_hub.catalog import PUBLISHED_SPLIT_NAMES
from medmnist_hub.npz_reader import NpzReader

CONFIGS = ["pneumoniamnist", "retinamnist", "adrenalmnist3d"]


@pytest.fixture(scope="module", params=CONFIGS)
def loaded(request, tmp_path_factory):
    """(config, the export's DatasetDict, the official arrays by HF split name)."""
    require("datasets")
    from datasets import load_dataset

    from medmnist_hub.hf_builders import export_hub_repo

    config = request.param
    path = real_file_or_skip(config)
    tmp = tmp_path_factory.mktemp(config)
    export_hub_repo(tmp / "hub", [config], npz_paths={config: path}, progress=False)
    dsd = load_dataset(str(tmp / "hub"), config, cache_dir=str(tmp / "cache"))
    with NpzReader(path) as r:
        official = {hf: (r.read(f"{ours}_images"), r.read(f"{ours}_labels")[:, 0]) for ours, hf in PUBLISHED_SPLIT_NAMES.items()}
    return config, dsd, official


def _official_layout(x: np.ndarray, is_3d: bool) -> np.ndarray:
    """datasets' torch formatter gives PIL images as (C, H, W): back to the official (H, W[, 3])."""
    if is_3d:
        return x
    return x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)


def test_stored_bytes_are_netpbm_at_28_px(loaded):
    import datasets

    config, dsd, _ = loaded
    if config.endswith("3d"):
        assert isinstance(dsd["train"].features["image"], datasets.Array3D)
        return
    raw = dsd["train"].cast_column("image", datasets.Image(decode=False))[:4]["image"]
    assert {item["bytes"][:2] for item in raw} == {b"P5" if config == "pneumoniamnist" else b"P6"}


def test_with_format_numpy_and_torch_equal_the_official_arrays(loaded):
    torch = require("torch")
    config, dsd, official = loaded
    is_3d = config.endswith("3d")
    for split, (images, labels) in official.items():
        as_numpy = dsd[split].with_format("numpy", columns=["image", "label"], dtype=np.uint8)[:]
        assert as_numpy["image"].dtype == np.uint8 and np.array_equal(as_numpy["image"], images), split
        assert np.array_equal(as_numpy["label"], labels), split
    train_images, train_labels = official["train"]
    as_torch = dsd["train"].with_format("torch", columns=["image", "label"], dtype=torch.uint8)[:300]
    assert np.array_equal(_official_layout(as_torch["image"].numpy(), is_3d), train_images[:300])
    assert np.array_equal(as_torch["label"].numpy(), train_labels[:300])


def test_dataloader_over_the_formatted_export_gathers_the_official_rows(loaded):
    torch = require("torch")
    from torch.utils.data import DataLoader

    config, dsd, official = loaded
    images, labels = official["train"]
    order = np.random.default_rng(0).permutation(len(labels))[:256]
    for fmt, dtype in [("numpy", np.uint8), ("torch", torch.uint8)]:
        formatted = dsd["train"].with_format(fmt, columns=["image", "label"], dtype=dtype)
        loader = DataLoader(formatted, batch_size=64, sampler=order.tolist())
        got = torch.cat([batch["image"] for batch in loader]).numpy()
        got = got if fmt == "numpy" else _official_layout(got, config.endswith("3d"))
        assert np.array_equal(got, images[order]), fmt
        assert np.array_equal(torch.cat([batch["label"] for batch in loader]).numpy(), labels[order]), fmt


def test_decode_images_equals_the_official_arrays(loaded):
    from medmnist_hub.hf_builders import decode_images

    _, dsd, official = loaded
    decoded = decode_images(dsd)
    for split, (images, labels) in official.items():
        got = decoded[split].with_format("numpy", columns=["image", "label"], dtype=np.uint8)[:]
        assert got["image"].dtype == np.uint8 and np.array_equal(got["image"], images), split
        assert np.array_equal(got["label"], labels), split


def test_training_path_gathers_the_official_rows(loaded):
    torch = require("torch")
    from torch.utils.data import DataLoader

    from medmnist_hub.training.data import BatchCollator, TensorSplitDataset, dataset_to_tensors
    from medmnist_hub.training.protocol import model_spec
    from medmnist_hub.training.transforms import to_pixel_values

    config, dsd, official = loaded
    spec = model_spec(config, input_size=None if config.endswith("3d") else 28)
    images, labels = official["train"]
    split = dataset_to_tensors(dsd["train"], spec)
    assert split.images.dtype == torch.uint8 and np.array_equal(split.images.numpy(), images)
    assert np.array_equal(split.labels.numpy(), labels) and split.ids[:2] == ["train-000000", "train-000001"]

    order = np.random.default_rng(1).permutation(len(labels))[:200].tolist()
    data, collate = TensorSplitDataset(split), BatchCollator(spec)
    batches = list(DataLoader(data, batch_size=50, sampler=order, collate_fn=collate))
    pixel_values = torch.cat([b["pixel_values"] for b in batches])
    assert torch.equal(pixel_values, to_pixel_values(torch.from_numpy(images[order]), spec))
    assert np.array_equal(torch.cat([b["labels"] for b in batches]).numpy(), labels[order])
    # the batched gather and the item-by-item path give the same batch
    one_by_one = collate([data[i] for i in order[:50]])
    assert torch.equal(one_by_one["pixel_values"], batches[0]["pixel_values"])
    assert torch.equal(one_by_one["labels"], batches[0]["labels"])


def test_readme_recipe_of_shuffled_contiguous_ranges_gives_the_official_rows(loaded):
    """README: ``DataLoader(ds, batch_size=None, sampler=[range(i, i + 64), ...])``, the ranges shuffled."""
    torch = require("torch")
    from torch.utils.data import DataLoader

    config, dsd, official = loaded
    images, labels = official["train"]
    n = len(labels)
    ranges = [range(i, min(i + 64, n)) for i in range(0, n, 64)]
    ranges = [ranges[k] for k in np.random.default_rng(0).permutation(len(ranges))]
    assert ranges[0].start != 0  # the shuffle moved the first batch
    for fmt, dtype in [("numpy", np.uint8), ("torch", torch.uint8)]:
        formatted = dsd["train"].with_format(fmt, columns=["image", "label"], dtype=dtype)
        batches = list(DataLoader(formatted, batch_size=None, sampler=ranges))
        assert len(batches) == len(ranges), fmt
        got_images, got_labels, seen = np.zeros_like(images), np.zeros_like(labels), np.zeros(n, dtype=np.int64)
        for r, batch in zip(ranges, batches):
            batch_images = np.asarray(batch["image"])
            batch_images = batch_images if fmt == "numpy" else _official_layout(batch_images, config.endswith("3d"))
            # each batch is its range's rows, in row order
            assert np.array_equal(batch_images, images[r.start:r.stop]), (fmt, r)
            assert np.array_equal(np.asarray(batch["label"]), labels[r.start:r.stop]), (fmt, r)
            got_images[r.start:r.stop], got_labels[r.start:r.stop] = batch_images, np.asarray(batch["label"])
            seen[r.start:r.stop] += 1
        assert (seen == 1).all(), fmt  # every row read once
        assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels), fmt


def test_augmented_gather_draws_the_same_intensities_as_item_by_item(loaded):
    torch = require("torch")

    from medmnist_hub.training.data import BatchCollator, TensorSplitDataset, dataset_to_tensors
    from medmnist_hub.training.protocol import model_spec

    config, dsd, official = loaded
    spec = model_spec(config, input_size=None if config.endswith("3d") else 28)
    images, labels = official["train"]
    data, collate = TensorSplitDataset(dataset_to_tensors(dsd["train"], spec), augment=True), BatchCollator(spec)
    idx = np.random.default_rng(2).permutation(len(labels))[:40].tolist()
    torch.manual_seed(0)
    gathered = data.__getitems__(idx)
    torch.manual_seed(0)
    items = [data[i] for i in idx]
    assert torch.equal(gathered["intensity"], torch.stack([it["intensity"] for it in items]))
    assert len(set(gathered["intensity"].tolist())) == len(idx)  # one draw per row
    assert torch.equal(gathered["pixel_values"], torch.stack([it["pixel_values"] for it in items]))
    assert torch.equal(gathered["labels"], torch.stack([it["labels"] for it in items]))
    assert np.array_equal(gathered["pixel_values"].numpy(), images[idx])
    assert np.array_equal(gathered["labels"].numpy(), labels[idx])
    from_dict, from_items = collate(gathered), collate(items)
    assert torch.equal(from_dict["pixel_values"], from_items["pixel_values"])
    assert torch.equal(from_dict["labels"], from_items["labels"])
    # the intensities reach the batch: without them the collator gives other pixel values
    plain = collate({"pixel_values": gathered["pixel_values"], "labels": gathered["labels"]})
    assert not torch.equal(plain["pixel_values"], from_dict["pixel_values"])
