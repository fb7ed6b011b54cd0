"""The MedMNIST v2 paper's published results (Tables 3 and 4) as reference records.

The tables are the package's copy of the published numbers (``medmnist_hub/data/
paper_table3_2d.tsv`` and ``paper_table4_3d.tsv``, read by :mod:`medmnist_hub.paper`), so the
reference rows are reproduced exactly (three decimals, as printed) and every mean is
computed from them the same way as for submitted models.  They were measured on the
MedMNIST v2.0 files, so the records say ``data_version: "MedMNIST v2.0"`` and carry no
example counts; the leaderboard marks them as reference rows.
"""

from __future__ import annotations

import re
from importlib import resources

from ..catalog import get_subset
from ..results.records import Record, make_record

PAPER_DOI_URL = "https://doi.org/10.1038/s41597-022-01721-8"
PAPER_CITATION = 'Yang et al., "MedMNIST v2", Scientific Data 10, 41 (2023)'
PAPER_DATA_VERSION = "MedMNIST v2.0"
PAPER_DATE = "2023-01-19"
#: Namespace of the reference rows' model ids, so they never collide with Hub repos.
PAPER_NAMESPACE = "medmnist-v2-paper"

TABLES = {
    "paper_table3_2d.tsv": "Table 3",
    "paper_table4_3d.tsv": "Table 4",
}

_RESNET = re.compile(r"^ResNet-(?P<depth>18|50)(?: \((?P<res>\d+)\)| \+ (?P<conv>2\.5D|3D|ACS))$")


def table_text(name: str) -> str:
    """The published table ``name`` as shipped in the package (``medmnist_hub/data``)."""
    return resources.files("medmnist_hub").joinpath(f"data/{name}").read_text("utf-8")


def describe_method(method: str) -> dict:
    """Model fields for one row label of the paper's tables.

    ``ResNet-18 (28)`` -> family ResNet-18, protocol ``28`` (28 px input, CIFAR-style
    stem); ``ResNet-18 (224)`` -> protocol ``224`` (upsampled to 224);
    ``ResNet-50 + ACS`` -> family ResNet-50, protocol ``ACS`` (3D conversion);
    the AutoML systems have no protocol.
    """
    m = _RESNET.match(method)
    if m:
        family = f"ResNet-{m.group('depth')}"
        protocol = m.group("res") or m.group("conv")
    else:
        family, protocol = method, None
    slug = re.sub(r"[^a-z0-9]+", "-", method.lower()).strip("-")
    return {"model_id": f"{PAPER_NAMESPACE}/{slug}", "model_name": method, "family": family, "protocol": protocol}


def paper_records() -> list[Record]:
    """One reference record per (method, dataset) of Tables 3 and 4 (test split, 28 px files)."""
    from ..paper import paper_results

    records = []
    for method, by_subset in paper_results().items():
        desc = describe_method(method)
        for subset, scores in by_subset.items():
            table = TABLES["paper_table4_3d.tsv" if get_subset(subset).is_3d else "paper_table3_2d.tsv"]
            records.append(
                make_record(
                    **desc,
                    config=subset,
                    auc=scores["auc"],
                    acc=scores["acc"],
                    split="test",
                    url=PAPER_DOI_URL,
                    reference=True,
                    n_examples=None,
                    data_version=PAPER_DATA_VERSION,
                    source=f"{PAPER_CITATION}, {table} (mean of at least 3 runs)",
                    created=PAPER_DATE,
                )
            )
    return records


def with_paper_rows(records: list[Record]) -> list[Record]:
    """``records`` plus the paper's reference rows that are not already among them.

    A results folder may hold ``results/paper/`` (the same rows as files): they are not
    added twice.
    """
    present = {r.key for r in records}
    return list(records) + [r for r in paper_records() if r.key not in present]
