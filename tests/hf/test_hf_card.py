"""The dataset card: YAML that the Hub's and ``datasets``' own readers accept and that matches the files."""

from __future__ import annotations

import fnmatch
import json
import re

import pyarrow.parquet as pq
import yaml
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData
from support.real_data import real_file_or_skip

from medmnist_hub.catalog import SUBSETS, config_names, get_subset, parse_config_name
from medmnist_hub.hf_builders import features_for
from medmnist_hub.hf_builders.card import size_category
from medmnist_hub.hf_builders.export import export_hub_repo
from medmnist_hub.hf_builders.export_manifest import MANIFEST_NAME


def test_card_yaml_parses_and_matches_the_files(synthetic_export):
    card = DatasetCard.load(synthetic_export / "README.md")
    data = card.data
    assert isinstance(data, DatasetCardData)
    assert data.pretty_name == "MedMNIST v3.0"
    assert data.license == ["cc-by-4.0", "cc-by-nc-4.0"]  # DermaMNIST's licence is visible
    assert data.task_categories == ["image-classification"]
    assert set(data.task_ids) == {"multi-class-image-classification", "multi-label-image-classification"}
    assert data.size_categories == ["n<1K"] and "medical" in data.tags and "3d" in data.tags

    configs = MetadataConfigs.from_dataset_card_data(data)
    infos = DatasetInfosDict.from_dataset_card_data(data)
    assert sorted(configs) == sorted(config_names()) == sorted(infos)
    assert configs.get_default_config_name() == "pathmnist"

    on_disk = {str(p.relative_to(synthetic_export)) for p in (synthetic_export / "data").rglob("*.parquet")}
    claimed: set[str] = set()
    for name, meta in configs.items():
        subset, size = parse_config_name(name)
        assert [f["split"] for f in meta["data_files"]] == ["train", "validation", "test"]
        for entry in meta["data_files"]:
            matched = {p for p in on_disk if fnmatch.fnmatch(p, entry["path"])}
            assert matched, f"{name}/{entry['split']}: pattern {entry['path']} matches no file"
            assert not matched & claimed, f"{entry['path']} overlaps another config"
            claimed |= matched
            rows = sum(pq.ParquetFile(synthetic_export / p).metadata.num_rows for p in matched)
            assert rows == infos[name].splits[entry["split"]].num_examples
        assert infos[name].features == features_for(subset, size)
    assert claimed == on_disk  # every Parquet file belongs to exactly one config split


def test_card_body_has_warning_licences_montages_usage_and_citations(synthetic_export):
    text = (synthetic_export / "README.md").read_text()
    body = text.split("\n---\n", 1)[1]
    assert "Not for clinical use" in body
    assert "CC BY-NC 4.0 (non-commercial use only)" in body
    assert re.search(r"\| `dermamnist` \| DermaMNIST \|.*\*\*CC BY-NC 4\.0\*\*", body)
    for subset in SUBSETS.values():
        assert f"![{subset.name} montage](images/{subset.key}.png)" in body
        assert (synthetic_export / "images" / f"{subset.key}.png").is_file()
        for key in subset.citation_keys():
            assert re.search(r"@\w+\{" + re.escape(key) + ",", body), key
    for snippet in ('load_dataset("ORG/medmnist", "pathmnist")', "streaming=True", 'with_format("numpy", dtype=np.uint8)',
                    'with_format("torch"', "to_tf_dataset", 'with_format("jax")', "np.bincount(l, minlength=14)"):
        assert snippet in body, snippet
    # these configs came from synthetic files: the card must say so
    assert "not the official release" in body and "**not MD5-verified**" in body
    assert len(re.findall(r"^\| `", body, flags=re.M)) == 60


def test_card_of_a_cc_by_only_export_and_manifest(real_export):
    real_file_or_skip("breastmnist")
    manifest = json.loads((real_export / MANIFEST_NAME).read_text())
    assert "breastmnist" in manifest["configs"]
    card = DatasetCard.load(real_export / "README.md")
    assert card.data.license == "cc-by-4.0"
    assert "DermaMNIST, CC BY-NC 4.0, is not included" in card.text
    assert "not the official release" not in card.text
    for entry in manifest["configs"].values():
        assert entry["source"]["verified"] is True
        assert f"MD5 `{get_subset(entry['subset']).file(entry['size']).md5}`" in card.text
        for split in entry["splits"].values():
            for f in split["files"]:
                assert (real_export / f["path"]).stat().st_size == f["size"]


def test_yaml_header_is_plain_yaml_without_python_tags(synthetic_export):
    text = (synthetic_export / "README.md").read_text()
    header = text.split("---\n")[1]
    parsed = yaml.safe_load(header)
    assert {"configs", "dataset_info", "license", "task_categories", "tags", "size_categories", "pretty_name"} <= set(parsed)


def test_size_categories():
    assert [size_category(n) for n in (12, 1_000, 236_386, 1_500_000)] == ["n<1K", "1K<n<10K", "100K<n<1M", "1M<n<10M"]


def test_montage_rows_are_classes(synthetic_dir, tmp_path):
    import PIL.Image

    export_hub_repo(tmp_path / "repo", ["chestmnist", "organmnist3d_64"], npz_dir=synthetic_dir, progress=False)
    chest = PIL.Image.open(tmp_path / "repo" / "images" / "chestmnist.png")
    organ = PIL.Image.open(tmp_path / "repo" / "images" / "organmnist3d.png")
    from medmnist_hub.hf_builders.montage import CELL, GAP, PER_CLASS

    assert chest.size == (PER_CLASS * CELL + (PER_CLASS + 1) * GAP, 14 * CELL + 15 * GAP)
    assert organ.size[1] == 11 * CELL + 12 * GAP
    manifest = json.loads((tmp_path / "repo" / MANIFEST_NAME).read_text())
    assert manifest["montages"]["organmnist3d"] == {"path": "images/organmnist3d.png", "from": "organmnist3d_64"}
