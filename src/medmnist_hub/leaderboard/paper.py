"""The MedMNIST v2 paper's published results (Tables 3 and 4) as reference records.

The tables live in this package as the TSV files published with the paper's numbers
(``data/paper_table3_2d.tsv``, ``data/paper_table4_3d.tsv``), unchanged, so the
reference rows are reproduced exactly (three decimals, as printed) and every mean is
computed from them the same way as for submitted models.  They were measured on the
MedMNIST v2.0 files, so the records say ``data_version: "MedMNIST v2.0"`` and carry no
example counts; the leaderboard marks them as reference rows.
"""

from __future__ import annotations

import csv
import io
import re
from importlib import resources

from ..catalog import get_subset
from .records import make_record

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
    return resources.files("medmnist_hub.leaderboard").joinpath(f"data/{name}").read_text("utf-8")


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


def parse_table(text: str, table: str) -> list[tuple[str, str, float, float]]:
    """Rows ``(method, subset key, auc, acc)`` of one TSV table, checking its header."""
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    header = next(reader)
    if header[0] != "Method" or (len(header) - 1) % 2:
        raise ValueError(f"{table}: unexpected header {header[:3]}...")
    columns = []
    for i in range(1, len(header), 2):
        auc_col, acc_col = header[i], header[i + 1]
        name, _, metric = auc_col.rpartition("_")
        if metric != "AUC" or acc_col != f"{name}_ACC":
            raise ValueError(f"{table}: columns {auc_col!r}, {acc_col!r} are not an AUC/ACC pair")
        columns.append(get_subset(name).key)
    rows = []
    for line_no, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise ValueError(f"{table} line {line_no}: {len(row)} cells, header has {len(header)}")
        method = row[0].strip()
        for j, subset in enumerate(columns):
            rows.append((method, subset, float(row[1 + 2 * j]), float(row[2 + 2 * j])))
    return rows


def paper_records() -> list[dict]:
    """One reference record per (method, dataset) of Tables 3 and 4 (test split, 28 px files)."""
    records = []
    for name, table in TABLES.items():
        for method, subset, auc, acc in parse_table(table_text(name), name):
            desc = describe_method(method)
            records.append(
                make_record(
                    **desc,
                    config=subset,
                    auc=auc,
                    acc=acc,
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
