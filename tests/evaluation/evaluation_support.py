"""Shared by the evaluation tests: a tiny real timm checkpoint in the baselines' format.

(Optional dependencies go through ``support.real_data.require``: skipped locally when
missing, a failure under ``CI=true``.)
"""

from __future__ import annotations

from pathlib import Path


def timm_checkpoint(out_dir: Path, subset: str, seed: int = 0, *, permutation=None, label_names=None):
    """Export timm's tiny ``test_resnet`` under the baselines' protocol for ``subset``.

    The baselines' protocol (nearest upsampling, mean/std from the spec) at 2x instead of
    ResNet-18 at 4x: the same code paths, a fraction of the CPU.  ``permutation`` reorders
    the output units (column j of the new model is column ``permutation[j]`` of the
    original) and ``label_names`` replaces the names saved in ``config.json``, to build
    checkpoints whose label order differs from the catalog's.
    """
    import json

    import torch
    from timm import create_model

    from medmnist_hub.training.export import export_timm_checkpoint
    from medmnist_hub.training.protocol import model_spec

    spec = model_spec(subset, "resnet18", "28", input_size=56)
    torch.manual_seed(seed)
    m = create_model("test_resnet", pretrained=False, num_classes=spec.subset.num_classes, in_chans=spec.in_chans)
    with torch.no_grad():  # spread the logits so the scores are far from constant
        m.fc.weight.mul_(5.0)
        if permutation is not None:
            idx = torch.as_tensor(list(permutation))
            m.fc.weight.copy_(m.fc.weight[idx].clone())
            m.fc.bias.copy_(m.fc.bias[idx].clone())
    m.pretrained_cfg = {"architecture": "test_resnet", "num_classes": spec.subset.num_classes, **spec.data_config()}
    model_dir = export_timm_checkpoint(m, spec, Path(out_dir) / f"{subset}-model")
    if label_names is not None:
        config_path = model_dir / "config.json"
        config = json.loads(config_path.read_text())
        config["label_names"] = list(label_names)
        config_path.write_text(json.dumps(config, indent=2) + "\n")
    return model_dir, spec
