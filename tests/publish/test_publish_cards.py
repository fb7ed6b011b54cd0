"""Cards that ``publish`` generates carry the data terms: licences per subset, citations, clinical-use line."""

from __future__ import annotations

import json
import re

import numpy as np
from huggingface_hub import ModelCard
from safetensors.numpy import save_file

from medmnist_hub.catalog import bibtex, get_subset
from medmnist_hub.publish.artifacts import stage_model
from medmnist_hub.results.records import make_record

BENCH = "testorg/medmnist"


def _rec(config):
    return make_record(model_id="lab/m", config=config, auc=0.9, acc=0.8, created="2025-03-01")


def test_a_model_folder_without_a_card_gets_one_with_the_data_terms(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"architecture": "resnet18", "num_classes": 7}))
    save_file({"w": np.zeros((2, 2), dtype=np.float32)}, str(model / "model.safetensors"))
    recs = [_rec("dermamnist"), _rec("pneumoniamnist")]
    staged = stage_model(model, tmp_path / "staged", repo_id="lab/m", records=recs, benchmark=BENCH)
    text = (staged / "README.md").read_text()
    card = ModelCard(text)
    assert len(card.data.eval_results) == 4 and card.data.model_name == "lab/m"
    assert "not for clinical use" in text.lower()
    assert "| DermaMNIST | CC BY-NC 4.0 |" in text and "| PneumoniaMNIST | CC BY 4.0 |" in text
    keys = ["yang2023medmnistv2", "yang2021medmnistv1", *get_subset("dermamnist").source_citations]
    keys += get_subset("pneumoniamnist").source_citations
    for key in keys:
        assert bibtex([key]).strip() in text
    assert len(re.findall(r"^@\w+\{", text, re.M)) == len(set(keys))
    assert not (model / "README.md").exists()  # the user's folder is untouched
