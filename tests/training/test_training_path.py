"""The whole baseline path on official-format synthetic files: HF builder -> Trainer ->
timm Hub checkpoint + card -> reload WITHOUT medmnist_hub, with timm and with
transformers, giving the logits the training run produced."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import yaml
from support.real_data import require

from medmnist_hub.catalog import get_subset
from medmnist_hub.synthetic import write_synthetic

require("timm")
require("transformers")

SPLITS = {"train": 24, "val": 12, "test": 12}

# Run in a fresh interpreter where importing medmnist_hub fails: the checkpoint must stand alone.
RELOAD = textwrap.dedent(
    """
    import sys, json
    class _Block:
        def find_spec(self, name, path=None, target=None):
            if name == "medmnist_hub" or name.startswith("medmnist_hub."):
                raise ModuleNotFoundError("medmnist_hub is blocked in this test")
    sys.meta_path.insert(0, _Block())
    try:
        import medmnist_hub  # noqa
        raise SystemExit("medmnist_hub should not be importable here")
    except ModuleNotFoundError:
        pass
    import numpy as np, torch, timm
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForImageClassification
    model_dir, images_path, is_3d = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    images = np.load(images_path, allow_pickle=False)
    timm_model = timm.create_model(f"local-dir:{model_dir}", pretrained=True).eval()
    transform = timm.data.create_transform(**timm.data.resolve_data_config({}, model=timm_model))
    processor = AutoImageProcessor.from_pretrained(model_dir)
    hf_model = AutoModelForImageClassification.from_pretrained(model_dir).eval()
    if is_3d:
        examples = [torch.from_numpy(v).float() / 255 for v in images]
    else:
        examples = [Image.fromarray(a) for a in images]  # mode L (gray) or RGB, as the dataset gives them
    x_timm = torch.stack([transform(e) for e in examples])
    x_hf = torch.cat([processor(e)["pixel_values"] for e in examples])
    with torch.no_grad():
        out = {
            "timm": timm_model(x_timm).tolist(),
            "hf": hf_model(pixel_values=x_hf).logits.tolist(),
            "pixel_max_diff": float((x_timm - x_hf).abs().max()),
            "id2label": hf_model.config.id2label,
            "label_names": timm_model.pretrained_cfg.get("label_names") or [],
        }
    print(json.dumps(out))
    """
)


def _reload_without_package(model_dir, images, is_3d, tmp_path):
    images_path = tmp_path / "images.npy"
    np.save(images_path, images, allow_pickle=False)
    proc = subprocess.run(
        [sys.executable, "-c", RELOAD, str(model_dir), str(images_path), "1" if is_3d else "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: BreastMNIST at the catalog's split sizes (a full test split: a benchmark-shaped run); the others small.
FULL = {"breastmnist": True, "bloodmnist": False, "chestmnist": False, "adrenalmnist3d": False}


@pytest.mark.parametrize("subset", list(FULL))
def test_train_export_reload_same_logits(subset, tmp_path):
    from medmnist_hub.training.baseline import run_baseline
    from medmnist_hub.training.protocol import model_spec

    sizes = dict(get_subset(subset).split_sizes) if FULL[subset] else SPLITS
    npz = write_synthetic(tmp_path / "data", subset, 28, sizes, seed=1)
    spec = model_spec(subset, "resnet18", "28", epochs=1, batch_size=16)
    out = tmp_path / "run"
    summary = run_baseline(
        spec, out, seeds=[0], results_dir=tmp_path / "results", npz_path=npz, cache_dir=tmp_path / "hf", progress=False
    )
    sub = get_subset(subset)
    run = summary["runs"][0]
    assert run["best_epoch"] == 1.0
    assert 0.0 <= run["test"]["auc"] <= 1.0 and 0.0 <= run["test"]["acc"] <= 1.0

    # the checkpoint is timm's hub format, safetensors only, without the num_classes clash
    model_dir = out / "model"
    names = sorted(p.name for p in model_dir.iterdir())
    assert "model.safetensors" in names and "config.json" in names and "pytorch_model.bin" not in names
    config = json.loads((model_dir / "config.json").read_text())
    assert config["architecture"] == "resnet18" and config["label_names"] == list(sub.label_names)
    assert "num_classes" not in config["model_args"]
    assert config["pretrained_cfg"]["input_size"] == [spec.checkpoint_in_chans, 112, 112]
    assert config["model_args"]["in_chans"] == (1 if sub.channels == 1 and not sub.is_3d else spec.in_chans)
    assert config["pretrained_cfg"]["interpolation"] == "nearest"

    # a fresh interpreter without medmnist_hub reproduces the training run's test logits
    with np.load(npz, allow_pickle=False) as z:
        test_images = z["test_images"]
    reloaded = _reload_without_package(model_dir, test_images, sub.is_3d, tmp_path)
    expected = np.load(out / "seed0" / "test_logits.npy")
    np.testing.assert_allclose(np.array(reloaded["timm"]), expected, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(np.array(reloaded["hf"]), expected, atol=1e-4, rtol=1e-4)
    assert reloaded["pixel_max_diff"] == 0.0
    assert list(reloaded["id2label"].values()) == list(sub.label_names)

    # model card: YAML for the Hub, license of the data, warning; model-index and .eval_results with the
    # test AUC/ACC only for a whole official-size test split (a small synthetic one is no benchmark entry)
    card = (model_dir / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["library_name"] == "timm" and meta["pipeline_tag"] == "image-classification"
    assert meta["license"] == sub.license_id
    assert "Not for clinical use" in card and "yang2023medmnistv2" in card
    if FULL[subset]:
        metrics = meta["model-index"][0]["results"][0]["metrics"]
        assert {m["type"] for m in metrics} == {"roc_auc", "accuracy"}
        assert round(run["test"]["auc"], 6) in [m["value"] for m in metrics]
        assert (model_dir / ".eval_results" / "medmnist.yaml").exists()
    else:
        assert "model-index" not in meta and not (model_dir / ".eval_results").exists()
        assert "Not a benchmark result" in card
    kept = tmp_path / "results" / summary["name"]
    assert (kept / "MODEL_CARD.md").exists() and (kept / "summary.json").exists()
    assert (kept / "train_log_seed0.jsonl").read_text().count("eval_auc") == 1


def test_collator_equals_the_saved_processor(tmp_path):
    """What the Trainer feeds equals what AutoImageProcessor makes from the exported config."""
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor

    from medmnist_hub.synthetic import synthetic_arrays
    from medmnist_hub.training.data import BatchCollator
    from medmnist_hub.training.export import export_timm_checkpoint
    from medmnist_hub.training.protocol import model_spec
    from medmnist_hub.training.trainer import build_model

    for subset, protocol in [("pneumoniamnist", "28"), ("dermamnist", "224"), ("vesselmnist3d", "28")]:
        spec = model_spec(subset, protocol=protocol)
        export_timm_checkpoint(build_model(spec).timm_model, spec, tmp_path / subset, fold_gray=spec.folds_gray)
        processor = AutoImageProcessor.from_pretrained(tmp_path / subset)
        images = synthetic_arrays(subset, 28, {"train": 1, "val": 1, "test": 4})["test_images"]
        ours = BatchCollator(spec)([{"pixel_values": torch.from_numpy(a), "labels": torch.tensor(0)} for a in images])
        if spec.subset.is_3d:
            theirs = torch.cat([processor(torch.from_numpy(a).float() / 255)["pixel_values"] for a in images])
        else:
            theirs = processor([Image.fromarray(a) for a in images])["pixel_values"]  # L or RGB, as stored
        if spec.folds_gray:  # the checkpoint takes the gray channel once; training repeats it 3 times
            assert theirs.shape[1] == 1
            theirs = theirs.expand(-1, 3, -1, -1)
        assert torch.equal(ours["pixel_values"], theirs), subset


def test_same_seed_same_result_and_resume(tmp_path, monkeypatch):
    from medmnist_hub.training import trainer as trainer_mod
    from medmnist_hub.training.data import TensorSplitDataset, load_splits
    from medmnist_hub.training.protocol import model_spec

    npz = write_synthetic(tmp_path / "data", "organcmnist", 28, SPLITS, seed=2)
    spec = model_spec("organcmnist", epochs=2, batch_size=16)
    splits = load_splits(spec, npz_path=npz, cache_dir=tmp_path / "hf")
    a = trainer_mod.train(spec, tmp_path / "a", seed=3, splits=splits, progress=False)
    b = trainer_mod.train(spec, tmp_path / "b", seed=3, splits=splits, progress=False)
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "test_logits.npy"), np.load(tmp_path / "b" / "test_logits.npy"))
    assert a.test == b.test

    # resume: a 3-epoch run continues from b's checkpoint, so it reads the training split once, not three times
    fetched = []

    class CountingDataset(TensorSplitDataset):
        def __getitem__(self, i):
            fetched.append(self.split is splits["train"])
            return super().__getitem__(i)

        def __getitems__(self, indices):  # what DataLoader calls: one gather per batch
            fetched.extend([self.split is splits["train"]] * len(indices))
            return super().__getitems__(indices)

    monkeypatch.setattr(trainer_mod, "TensorSplitDataset", CountingDataset)
    spec3 = model_spec("organcmnist", epochs=3, batch_size=16)
    c = trainer_mod.train(spec3, tmp_path / "b", seed=3, splits=splits, resume=True, progress=False)
    assert sum(fetched) == SPLITS["train"]
    assert [h["epoch"] for h in c.history if "eval_auc" in h] == [1.0, 2.0, 3.0]
    assert c.train_seconds > b.train_seconds  # the resumed call adds its time to the first call's

    # resuming a finished run trains nothing: it re-exports and re-scores, and keeps the recorded throughput
    fetched.clear()
    d = trainer_mod.train(spec3, tmp_path / "b", seed=3, splits=splits, resume=True, progress=False)
    assert sum(fetched) == 0 and d.test == c.test
    assert d.train_samples_per_second == c.train_samples_per_second > 0
    assert d.train_seconds >= c.train_seconds
