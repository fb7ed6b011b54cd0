"""A checkpoint trained on a gray subset takes the subset's own mode-``L`` images.

Trained (a few steps) on the real BreastMNIST file, exported, then read in a fresh
interpreter without medmnist_hub by the snippets users copy: timm's ``create_transform``,
transformers' ``AutoImageProcessor`` + ``AutoModelForImageClassification`` (TimmWrapper)
and ``pipeline``.  Each must accept the dataset's ``L`` images and reproduce the logits
the training run computed on gray repeated to three channels.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from support.real_data import real_file_or_skip, require

require("timm")
require("transformers")

USE = textwrap.dedent(
    """
    import sys, json
    class _Block:
        def find_spec(self, name, path=None, target=None):
            if name == "medmnist_hub" or name.startswith("medmnist_hub."):
                raise ModuleNotFoundError("medmnist_hub is blocked in this test")
    sys.meta_path.insert(0, _Block())
    import numpy as np, torch, timm
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForImageClassification, pipeline
    model_dir, images_path = sys.argv[1], sys.argv[2]
    images = [Image.fromarray(a) for a in np.load(images_path, allow_pickle=False)]
    assert {im.mode for im in images} == {"L"}
    out = {}
    with torch.no_grad():
        model = timm.create_model(f"local-dir:{model_dir}", pretrained=True).eval()
        transform = timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))
        out["timm"] = torch.cat([model(transform(im).unsqueeze(0)) for im in images]).tolist()
        processor = AutoImageProcessor.from_pretrained(model_dir)
        hf = AutoModelForImageClassification.from_pretrained(model_dir).eval()
        out["transformers"] = hf(**processor(images)).logits.tolist()
        out["wrapper_class"] = type(hf).__name__
    pipe = pipeline("image-classification", model=model_dir)
    labels = list(hf.config.id2label.values())
    got = [pipe(np.asarray(im)[..., None]) for im in images]  # as the model card shows
    out["pipeline"] = [[next(r["score"] for r in g if r["label"] == name) for name in labels] for g in got]
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def breast_run(tmp_path_factory):
    from medmnist_hub.training.baseline import run_baseline
    from medmnist_hub.training.protocol import model_spec

    npz = real_file_or_skip("breastmnist")
    tmp = tmp_path_factory.mktemp("gray")
    spec = model_spec("breastmnist", epochs=1, batch_size=32)
    run_baseline(spec, tmp / "run", npz_path=npz, cache_dir=tmp / "hf", progress=False, max_steps=4)
    with np.load(npz, allow_pickle=False) as z:
        images = z["test_images"][:32]
    return tmp, spec, images


def test_gray_checkpoint_has_one_input_channel(breast_run):
    tmp, spec, _ = breast_run
    config = json.loads((tmp / "run" / "model" / "config.json").read_text())
    assert spec.in_chans == 3 and config["model_args"]["in_chans"] == 1
    assert config["pretrained_cfg"]["input_size"] == [1, 112, 112]
    assert config["pretrained_cfg"]["mean"] == [0.5] and config["pretrained_cfg"]["std"] == [0.5]
    card = (tmp / "run" / "model" / "README.md").read_text()
    assert "saved with 1 input channel" in card and "np.asarray(example)[..., None]" in card


def test_timm_transformers_and_pipeline_take_the_datasets_L_images(breast_run):
    import torch

    tmp, _, images = breast_run
    np.save(tmp / "images.npy", images, allow_pickle=False)
    proc = subprocess.run(
        [sys.executable, "-c", USE, str(tmp / "run" / "model"), str(tmp / "images.npy")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = np.load(tmp / "run" / "seed0" / "test_logits.npy")[: len(images)]  # 3-channel, as trained
    assert got["wrapper_class"] == "TimmWrapperForImageClassification"
    np.testing.assert_allclose(np.array(got["timm"]), expected, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(np.array(got["transformers"]), expected, atol=1e-4, rtol=1e-4)
    probs = torch.softmax(torch.from_numpy(expected), -1).numpy()
    np.testing.assert_allclose(np.array(got["pipeline"]), probs, atol=1e-5)


def test_fold_is_exact_on_real_images():
    """conv(repeat(x, 3), W) == conv(x, W.sum(1)): the folded model's logits match the 3-channel model's."""
    import torch

    from medmnist_hub.training.data import BatchCollator
    from medmnist_hub.training.export import fold_gray_input
    from medmnist_hub.training.protocol import model_spec
    from medmnist_hub.training.trainer import build_model

    npz = real_file_or_skip("breastmnist")
    spec = model_spec("breastmnist")
    torch.manual_seed(0)
    model = build_model(spec).timm_model.eval()
    for p in model.parameters():  # a non-degenerate kernel: timm's init zeroes some BatchNorm scales
        p.data.add_(torch.randn_like(p) * 0.01)
    folded = fold_gray_input(model, spec).eval()
    with np.load(npz, allow_pickle=False) as z:
        images = torch.from_numpy(z["val_images"][:16])
    x3 = BatchCollator(spec)([{"pixel_values": im, "labels": torch.tensor(0)} for im in images])["pixel_values"]
    with torch.no_grad():
        a, b = model(x3), folded(x3[:, :1])
    assert folded.conv1.weight.shape[1] == 1
    assert float((a - b).abs().max()) < 1e-4 * max(1.0, float(a.abs().max()))
