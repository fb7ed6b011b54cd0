"""The catalog must equal the official v3.0 release, fact for fact."""

from __future__ import annotations

import csv
import json

import pytest
from support.real_data import SHARED_DATA, real_file_or_skip, require

from medmnist_hub import catalog
from medmnist_hub.catalog import SUBSETS, UnknownConfigError, get_subset, parse_config_name
from medmnist_hub.cli import main
from medmnist_hub.download import md5sum


def test_counts_of_subsets_and_configs():
    assert len(SUBSETS) == 18
    assert len(catalog.SUBSETS_2D) == 12 and len(catalog.SUBSETS_3D) == 6
    names = catalog.config_names()
    assert len(names) == 60 == len(set(names))
    assert "bloodmnist_224" in names and "organmnist3d_64" in names and "organmnist3d_128" not in names


def test_catalog_equals_official_package():
    """Every fact we carry equals the official ``medmnist`` 3.0.2 package's INFO."""
    info = require("medmnist.info").INFO
    assert set(info) == set(SUBSETS)
    for key, official in info.items():
        s = SUBSETS[key]
        assert s.name == official["python_class"]
        assert s.task == official["task"]
        assert list(s.label_names) == [official["label"][str(i)] for i in range(len(official["label"]))]
        assert s.channels == official["n_channels"]
        assert dict(s.split_sizes) == official["n_samples"]
        assert s.license == official["license"]
        for size, f in s.files.items():
            suffix = "" if size == 28 else f"_{size}"
            assert f.url == official[f"url{suffix}"]
            assert f.md5 == official[f"MD5{suffix}"]
        assert set(s.files) == {28, 64} if s.is_3d else {28, 64, 128, 224}


def test_manifest_of_shared_files_matches_catalog():
    manifest = SHARED_DATA / "MANIFEST.tsv"
    if not manifest.is_file():
        real_file_or_skip("MANIFEST")
    rows = list(csv.DictReader(manifest.open(), delimiter="\t"))
    assert len(rows) == 7
    for row in rows:
        subset, size = parse_config_name(row["file"][: -len(".npz")])
        assert subset.file(size).md5 == row["md5"], row["file"]
        assert [int(row[k]) for k in ("train", "val", "test")] == list(subset.split_sizes.values())
        path = real_file_or_skip(row["file"][: -len(".npz")])
        assert md5sum(path) == row["md5"]


def test_dermamnist_is_non_commercial_and_others_cc_by():
    for s in SUBSETS.values():
        expected = "CC BY-NC 4.0" if s.key == "dermamnist" else "CC BY 4.0"
        assert s.license == expected
        assert s.license_id == ("cc-by-nc-4.0" if s.key == "dermamnist" else "cc-by-4.0")


def test_shapes_and_label_widths():
    assert get_subset("chestmnist").label_width == 14 and get_subset("chestmnist").is_multilabel
    assert get_subset("bloodmnist").image_shape(64) == (64, 64, 3)
    assert get_subset("breastmnist").image_shape(224) == (224, 224)
    assert get_subset("vesselmnist3d").image_shape(64) == (64, 64, 64)
    with pytest.raises(UnknownConfigError, match="available sizes: 28, 64"):
        get_subset("vesselmnist3d").image_shape(128)


@pytest.mark.parametrize(
    "name, expected",
    [("bloodmnist", ("bloodmnist", 28)), ("bloodmnist_64", ("bloodmnist", 64)), ("OrganMNIST3D_64", ("organmnist3d", 64))],
)
def test_parse_config_name(name, expected):
    subset, size = parse_config_name(name)
    assert (subset.key, size) == expected


@pytest.mark.parametrize("bad", ["bloodmnist_28", "bloodmnist_100", "organmnist3d_224", "nosuchmnist", "a b"])
def test_parse_config_name_rejects(bad):
    with pytest.raises(UnknownConfigError):
        parse_config_name(bad)


def test_every_citation_key_resolves():
    for s in SUBSETS.values():
        text = catalog.bibtex(s.citation_keys())
        assert text.count("@") == len(s.citation_keys())
        assert "yang2023medmnistv2" in text


def test_info_json_contract(capsys):
    assert main(["info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == set(SUBSETS)
    chest = data["chestmnist"]
    assert chest["task"] == "multi-label, binary-class" and len(chest["label_names"]) == 14
    assert chest["files"]["224"]["md5"] == SUBSETS["chestmnist"].file(224).md5
    assert chest["files"]["224"]["url"].startswith("https://zenodo.org/records/10519652/files/chestmnist_224.npz")
    assert data["dermamnist"]["license"] == "CC BY-NC 4.0"
    assert set(data["vesselmnist3d"]["files"]) == {"28", "64"}
    for key in ("task", "label_names", "channels", "sizes", "split_sizes", "license", "files"):
        assert key in data["retinamnist"]


def test_info_table_and_single(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 19 and "CC BY-NC 4.0" in out
    assert main(["info", "retinamnist"]) == 0
    assert "ordinal-regression" in capsys.readouterr().out


def test_readme_catalog_table_is_the_catalog():
    # The README's table is hand-formatted Markdown; every cell must still be the catalog's fact.
    from support.real_data import REPO_ROOT

    rows = {}
    for line in (REPO_ROOT / "README.md").read_text().splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[0] in SUBSETS:
            rows[cells[0]] = cells
    assert sorted(rows) == sorted(SUBSETS), "README's catalog table lost or gained a subset"
    for key, (_, dim, task, classes, ch, sizes, train, val, test, lic) in rows.items():
        s = get_subset(key)
        assert (dim, task, int(classes), int(ch)) == (f"{s.dimension}D", s.task, s.num_classes, s.channels), key
        assert sizes == "/".join(map(str, s.sizes)), key
        assert [int(n.replace(",", "")) for n in (train, val, test)] == [s.split_sizes[k] for k in ("train", "val", "test")], key
        assert lic == s.license, key
