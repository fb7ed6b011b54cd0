"""The export's dataset card carries a "Data audit" section from the reports of the very files exported."""

from __future__ import annotations

import json

import pytest
from planted import official_arrays, write_official
from support.real_data import require

from medmnist_hub.audit import audit, write_report

ROWS = {"train": 30, "val": 10, "test": 10}


def test_card_gets_the_audit_section_only_from_a_report_of_the_exported_file(tmp_path):
    require("datasets")
    from medmnist_hub.hf_builders.export import ExportError, export_hub_repo

    a = official_arrays("breastmnist", 28, ROWS, seed=5)
    a["test_images"][0] = a["train_images"][0]  # one leaked test image
    a["test_labels"][0] = a["train_labels"][0]
    path = write_official(tmp_path / "data" / "breastmnist.npz", a)
    reports = tmp_path / "audit"
    write_report(audit("breastmnist", file=path), reports / "breastmnist.json")

    out = tmp_path / "repo"
    export_hub_repo(out, ["breastmnist"], npz_paths={"breastmnist": path}, progress=False, audit_dir=reports)
    card = (out / "README.md").read_text()
    assert "## Data audit" in card
    assert "| `breastmnist` | 50 | 1 (1) | 0 (0) | 0 | 0 / 0 | 1 |" in card
    assert card.index("## Data audit") < card.index("## Provenance")

    other = official_arrays("breastmnist", 28, ROWS, seed=6)  # a report of different data is not used
    write_report(audit("breastmnist", file=write_official(tmp_path / "other" / "breastmnist.npz", other)),
                 reports / "breastmnist.json")
    export_hub_repo(out, ["breastmnist"], npz_paths={"breastmnist": path}, progress=False, audit_dir=reports)
    assert "## Data audit" not in (out / "README.md").read_text()

    with pytest.raises(ExportError, match="audit folder .* does not exist"):
        export_hub_repo(out, ["breastmnist"], npz_paths={"breastmnist": path}, progress=False,
                        audit_dir=tmp_path / "missing")
    assert json.loads((reports / "breastmnist.json").read_text())["schema_version"] == 1
