"""Our own Croissant 1.1 metadata (``croissant.json``) for an export, derived from the catalog.

The Hub builds a Croissant file of its own from ``dataset_info`` (huggingface/dataset-viewer,
``libcommon/croissant_utils.py``), but it has no case for ``Array3D`` (the 3D configs are
described without their volumes) and turns ``ClassLabel`` into a bare integer (the class
names are lost).  This file describes every exported config completely, so mlcroissant
and TFDS's ``CroissantBuilder`` users get the volumes and the names:

* one ``cr:FileObject`` per Parquet file, with its sha256 and size (from the manifest);
* per config a ``cr:FileSet`` over ``data/<config>/*.parquet`` that the records are read
  from, and three RecordSets:

  - ``<config>``: ``image`` (2D: ``sc:ImageObject`` from the image bytes, netpbm or PNG; 3D: a ``cr:UInt8``
    array, ``isArray`` with ``arrayShape`` ``"D,H,W"``), ``label`` (the class index, or for
    ChestMNIST the array of positive finding indices), ``id`` (the official position) and
    ``split`` (from the file name), label and split ``references`` the two below;
  - ``<config>_labels``: the official class names, ``index`` -> ``name``, inline ``data``;
  - ``<config>_splits``: a ``cr:Split`` RecordSet (train / validation / test).

* licences and citations: the dataset lists every licence in use (each subset's is stated
  in its RecordSet and FileSet descriptions), ``citeAs`` holds the BibTeX of MedMNIST and
  of every source dataset exported.

Relative ``contentUrl``/``includes`` make the file valid both in a local export (mlcroissant
resolves them against the folder of ``croissant.json``) and at the root of the Hub repo.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..atomic import atomic_write_text
from ..catalog import HOMEPAGE, MEDMNIST_CITATION_KEYS, RELEASE_VERSION, ZENODO_DOI, bibtex, get_subset
from ..examples import NETPBM_MAX_SIDE

CROISSANT_NAME = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
PARQUET_FORMAT = "application/x-parquet"

#: The JSON-LD context of Croissant 1.1 (spec: mlcommons/croissant docs/croissant-spec-1.1.md).
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "dct": "http://purl.org/dc/terms/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def _ordered(configs: dict) -> list[str]:
    from .card import _ordered as card_order  # the card's order: subset, then size

    return card_order(configs)


def _label_fields(config: str, subset, files_id: str) -> dict:
    field = {
        "@type": "cr:Field",
        "@id": f"{config}/label",
        "dataType": "cr:Int64",
        "source": {"fileSet": {"@id": files_id}, "extract": {"column": "label"}},
    }
    if not subset.is_multilabel:  # mlcroissant cannot join an array field on its elements
        field["references"] = {"field": {"@id": f"{config}_labels/index"}}
    if subset.is_multilabel:
        field["description"] = (f"Indices of the findings present in the image (0 to {subset.num_classes - 1}, "
                                f"names in {config}_labels); an empty array means no finding.")
        field["isArray"] = True
        field["arrayShape"] = "-1"
    else:
        field["description"] = f"Class index (0 to {subset.num_classes - 1}); the names are in {config}_labels."
    return field


def _image_field(config: str, subset, size: int, files_id: str) -> dict:
    source = {"fileSet": {"@id": files_id}, "extract": {"column": "image"}}
    if not subset.is_3d:
        mode = "grey-scale (mode L)" if subset.channels == 1 else "RGB"
        encoding = "netpbm (PGM/PPM)" if size <= NETPBM_MAX_SIDE else "PNG"
        return {"@type": "cr:Field", "@id": f"{config}/image", "dataType": "sc:ImageObject",
                "description": f"{size}x{size} {mode} {encoding} image, pixel for pixel the official uint8 array.",
                "source": {**source, "transform": {"jsonPath": "bytes"}}}
    shape = subset.image_shape(size)
    return {"@type": "cr:Field", "@id": f"{config}/image", "dataType": "cr:UInt8", "isArray": True,
            "arrayShape": ",".join(map(str, shape)),
            "description": f"uint8 volume of shape (depth, height, width) = {shape}, the official array.",
            "source": source}


def config_nodes(config: str, entry: dict) -> tuple[list[dict], list[dict]]:
    """(distribution nodes, record sets) of one exported config (``entry``: its manifest entry)."""
    subset = get_subset(entry["subset"])
    size = entry["size"]
    files_id = f"{config}-parquet"
    licence = f"{subset.license} ({subset.license_url})"
    distribution = [
        {"@type": "cr:FileObject", "@id": f["path"], "name": f["path"], "contentUrl": f["path"],
         "encodingFormat": PARQUET_FORMAT, "contentSize": f"{f['size']} B", "sha256": f["sha256"]}
        for split in entry["splits"].values() for f in split["files"]
    ]
    distribution.append({
        "@type": "cr:FileSet", "@id": files_id, "name": files_id, "encodingFormat": PARQUET_FORMAT,
        "includes": f"data/{config}/*.parquet",
        "description": f"The Parquet files of {config} ({subset.name}, {size} px); licence {licence}.",
    })
    splits = list(entry["splits"])
    split_field = {
        "@type": "cr:Field", "@id": f"{config}/split", "dataType": "sc:Text",
        "description": "The split: train, validation or test (the official val).",
        "source": {"fileSet": {"@id": files_id}, "extract": {"fileProperty": "fullpath"},
                   # mlcroissant turns this regex into the FileSet glob when records are filtered by split.
                   "transform": {"regex": rf"^data/{re.escape(config)}/({'|'.join(splits)})-.*\.parquet$"}},
        "references": {"field": {"@id": f"{config}_splits/name"}},
    }
    cites = ", ".join(subset.citation_keys())
    record_sets = [
        {"@type": "cr:RecordSet", "@id": config, "name": config, "key": {"@id": f"{config}/id"},
         "description": (f"{subset.name} at {size} px ({subset.dimension}D, {subset.modality}; task: {subset.task}). "
                         f"Licence: {licence}. Cite: {cites}."),
         "field": [
             _image_field(config, subset, size, files_id),
             _label_fields(config, subset, files_id),
             {"@type": "cr:Field", "@id": f"{config}/id", "dataType": "sc:Text",
              "description": 'Official position "<official split>-<index>", e.g. train-000042, val-000003.',
              "source": {"fileSet": {"@id": files_id}, "extract": {"column": "id"}}},
             split_field,
         ]},
        {"@type": "cr:RecordSet", "@id": f"{config}_labels", "name": f"{config}_labels",
         "description": f"The official {'finding' if subset.is_multilabel else 'class'} names of {subset.name}.",
         "key": {"@id": f"{config}_labels/index"},
         "field": [{"@type": "cr:Field", "@id": f"{config}_labels/index", "dataType": "cr:Int64"},
                   {"@type": "cr:Field", "@id": f"{config}_labels/name", "dataType": "sc:Text"}],
         "data": [{f"{config}_labels/index": i, f"{config}_labels/name": name}
                  for i, name in enumerate(subset.label_names)]},
        {"@type": "cr:RecordSet", "@id": f"{config}_splits", "name": f"{config}_splits", "dataType": "cr:Split",
         "description": f"The splits of {config}.", "key": {"@id": f"{config}_splits/name"},
         "field": [{"@type": "cr:Field", "@id": f"{config}_splits/name", "dataType": "sc:Text"}],
         "data": [{f"{config}_splits/name": s} for s in splits]},
    ]
    return distribution, record_sets


def croissant_metadata(manifest: dict, repo_id: str | None = None) -> dict:
    """The Croissant JSON-LD (a dict) of the export described by ``manifest``."""
    configs = manifest["configs"]
    order = _ordered(configs)
    subsets = [get_subset(k) for k in dict.fromkeys(configs[c]["subset"] for c in order)]
    distribution: list[dict] = []
    record_sets: list[dict] = []
    for config in order:
        d, r = config_nodes(config, configs[config])
        distribution += d
        record_sets += r
    keys = list(MEDMNIST_CITATION_KEYS) + [k for s in subsets for k in s.source_citations]
    licences = list(dict.fromkeys(s.license_url for s in subsets))
    nc = [s.name for s in subsets if s.license_id != "cc-by-4.0"]
    licence_text = ("Every subset is CC BY 4.0" + (f" except {', '.join(nc)} (CC BY-NC 4.0, non-commercial use only)"
                                                    if nc else "") + ".")
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": "MedMNIST",
        "alternateName": f"MedMNIST v{RELEASE_VERSION}",
        "description": (f"MedMNIST v{RELEASE_VERSION}: standardised biomedical image classification datasets (2D and 3D), "
                        f"converted without change from the official files (Zenodo DOI {ZENODO_DOI}). "
                        f"{licence_text} Not for clinical use: research and education only."),
        "url": f"https://huggingface.co/datasets/{repo_id}" if repo_id else HOMEPAGE,
        "sameAs": [HOMEPAGE, f"https://doi.org/{ZENODO_DOI}"],
        "version": f"{RELEASE_VERSION}.0",
        "license": licences,
        "citeAs": bibtex(keys).strip(),
        "keywords": ["medical imaging", "biomedical", "image classification", "benchmark", "MedMNIST"],
        "isLiveDataset": False,
        "distribution": distribution,
        "recordSet": record_sets,
    }


def write_croissant(out_dir: Path, manifest: dict, repo_id: str | None = None) -> Path:
    """Write ``croissant.json`` at the root of the export (deterministic: sorted order, no dates)."""
    path = Path(out_dir) / CROISSANT_NAME
    atomic_write_text(path, json.dumps(croissant_metadata(manifest, repo_id), indent=1, ensure_ascii=False) + "\n")
    return path
