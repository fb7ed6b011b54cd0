"""The README's "fine-tune any timm or HF image model" example runs as printed.

Two substitutions only: the data comes from a synthetic official-format file (the
official BloodMNIST_64 file is not available to the tests), and the run is cut to a few
steps.  Everything else is the README's code, executed in a fresh interpreter.
"""

from __future__ import annotations

import re
import subprocess
import sys

from support.real_data import REPO_ROOT, require

from medmnist_hub.synthetic import write_synthetic

require("timm")


def _recipe() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("### Fine-tune any timm or HF image model on any subset", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its fine-tuning example"
    return match.group(1)


def test_readme_finetune_example_runs(tmp_path):
    code = _recipe()
    npz = write_synthetic(tmp_path, "bloodmnist", 64, {"train": 24, "val": 16, "test": 16})
    replacements = {
        'load_medmnist("bloodmnist_64")': f'load_medmnist("bloodmnist_64", npz_path={str(npz)!r}, cache_dir={str(tmp_path / "hf")!r})',
        "num_train_epochs=10": "max_steps=2, per_device_eval_batch_size=16",
        '"runs/convnext-blood64"': repr(str(tmp_path / "run")),
    }
    for old, new in replacements.items():
        assert old in code, f"README example changed: {old!r} not found"
        code = code.replace(old, new)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'test_auc'" in proc.stdout and "'test_acc'" in proc.stdout
