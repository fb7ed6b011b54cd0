"""The export's ``croissant.json``: valid for mlcroissant, and its records are the official data.

mlcroissant 1.1.1 casts array fields value by value (``operation_graph/operations/field.py``,
``_cast_value``), about 1 us per voxel: a 28^3 config of 1.9k volumes takes ~40 s and a 64^3
one ~6 min, beyond this suite's budget.  So the 2D real files are compared on every row and
the 3D ones on their first ``ROWS_3D`` records (mlcroissant reads lazily, file by file).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hf_helpers import official_arrays
from support.real_data import REAL_CONFIGS, SHARED_DATA, real_file_or_skip, require

from medmnist_hub.catalog import SPLITS, parse_config_name
from medmnist_hub.hf_builders.croissant import CROISSANT_NAME
from medmnist_hub.hf_builders.export import export_hub_repo

mlc = require("mlcroissant")

SPLIT_OF = {"train": "train", "val": "validation", "test": "test"}
ROWS_3D = 32  # volumes compared per 3D config (mlcroissant reads ~1 us per voxel)


@pytest.fixture(scope="module")
def real_croissant(tmp_path_factory) -> Path:
    present = [c for c, _, _ in REAL_CONFIGS if (SHARED_DATA / f"{c}.npz").is_file()]
    if not present:
        real_file_or_skip(REAL_CONFIGS[0][0])
    out = tmp_path_factory.mktemp("croissant-real")
    export_hub_repo(out, present, source_dirs=[SHARED_DATA], num_proc=1, progress=False, offline=True)
    return out / CROISSANT_NAME


@pytest.fixture(scope="module")
def dataset(real_croissant):
    return mlc.Dataset(str(real_croissant))


def _value(v):
    return v.decode() if isinstance(v, bytes) else v


def test_croissant_validates_and_describes_every_config(real_croissant):
    jsonld = json.loads(real_croissant.read_text())
    meta = mlc.Dataset(jsonld=str(real_croissant)).metadata
    assert not meta.ctx.issues.errors, meta.ctx.issues.report()
    ids = {rs.id for rs in meta.record_sets}
    configs = [c for c, _, _ in REAL_CONFIGS if (SHARED_DATA / f"{c}.npz").is_file()]
    assert ids == {x for c in configs for x in (c, f"{c}_labels", f"{c}_splits")}
    manifest = json.loads((real_croissant.parent / "medmnist_export.json").read_text())
    files = {f["path"]: f for e in manifest["configs"].values() for sp in e["splits"].values() for f in sp["files"]}
    objects = {d["@id"]: d for d in jsonld["distribution"] if d["@type"] == "cr:FileObject"}
    assert set(objects) == set(files)
    for path, f in files.items():  # the recorded sha256 is the file's
        import hashlib

        assert objects[path]["sha256"] == f["sha256"] == hashlib.sha256((real_croissant.parent / path).read_bytes()).hexdigest()
    assert jsonld["license"] == ["https://creativecommons.org/licenses/by/4.0/"]  # no DermaMNIST among the real files
    assert "yang2023medmnistv2" in jsonld["citeAs"]
    for config in configs:
        subset, size = parse_config_name(config)
        fields = {f.id: f for rs in meta.record_sets if rs.id == config for f in rs.fields}
        image = fields[f"{config}/image"]
        if subset.is_3d:
            assert image.is_array and image.array_shape_tuple == (size, size, size)
        else:
            assert not image.is_array
        assert fields[f"{config}/split"].references.field == f"{config}_splits/name"


@pytest.mark.parametrize("config", [c for c, _, _ in REAL_CONFIGS])
def test_records_are_the_official_arrays(dataset, config):
    path = real_file_or_skip(config)
    subset, size = parse_config_name(config)
    official = official_arrays(path)
    names = {r[f"{config}_labels/index"]: _value(r[f"{config}_labels/name"])
             for r in dataset.records(record_set=f"{config}_labels")}
    assert [names[i] for i in range(len(names))] == list(subset.label_names)
    limit = None if not subset.is_3d else ROWS_3D  # 3D: the first rows (the train split's start)
    seen = set()
    for r in itertools.islice(dataset.records(record_set=config), limit):
        rid = _value(r[f"{config}/id"])
        split, index = rid.rsplit("-", 1)
        assert _value(r[f"{config}/split"]) == SPLIT_OF[split]
        i = int(index)
        image = np.asarray(r[f"{config}/image"], dtype=np.uint8) if subset.is_3d else np.asarray(r[f"{config}/image"])
        assert np.array_equal(image, official[f"{split}_images"][i]), f"{config} {rid}: pixels differ"
        assert int(r[f"{config}/label"]) == int(official[f"{split}_labels"][i, 0]), f"{config} {rid}: label"
        seen.add(rid)
    expected = {f"{s}-{i:06d}" for s in SPLITS for i in range(len(official[f"{s}_labels"]))}
    if limit is None:
        assert seen == expected
    else:
        assert len(seen) == limit and seen <= expected


def test_multilabel_and_licences_from_synthetic_files(synthetic_dir, tmp_path):
    """ChestMNIST's 14 findings as an array field; DermaMNIST's non-commercial licence is listed."""
    out = tmp_path / "repo"
    export_hub_repo(out, ["chestmnist", "dermamnist"], npz_dir=synthetic_dir, progress=False)
    jsonld = json.loads((out / CROISSANT_NAME).read_text())
    assert set(jsonld["license"]) == {"https://creativecommons.org/licenses/by/4.0/",
                                      "https://creativecommons.org/licenses/by-nc/4.0/"}
    derma = next(r for r in jsonld["recordSet"] if r["@id"] == "dermamnist")
    assert "CC BY-NC 4.0" in derma["description"]
    ds = mlc.Dataset(str(out / CROISSANT_NAME))
    official = official_arrays(synthetic_dir / "chestmnist.npz")
    names = [_value(r["chestmnist_labels/name"]) for r in ds.records(record_set="chestmnist_labels")]
    assert len(names) == 14 and names[0] == "atelectasis"
    got = {}
    for r in ds.records(record_set="chestmnist"):
        got[_value(r["chestmnist/id"])] = [int(v) for v in r["chestmnist/label"]]
    for split in SPLITS:
        for i, row in enumerate(official[f"{split}_labels"]):
            assert got[f"{split}-{i:06d}"] == np.flatnonzero(row).tolist()
