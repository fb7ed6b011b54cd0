"""The documented PyTorch recipe: ``tfds.data_source`` in a ``DataLoader`` with worker processes.

ArrayRecord's C++ reader keeps a process-wide thread pool that does not survive
``fork``: once the parent has built or read an array_record dataset, a reader created in
a forked ``DataLoader`` worker segfaults.  Workers started with ``forkserver`` (or
``spawn``) are clean processes; the docs say so, and this test runs exactly that recipe
after building and reading the data in the parent.
"""

from __future__ import annotations

import json

from support.real_data import real_file_or_skip
from tfds_helpers import official_split, require_module, run_python

require_module("torch", "the [train] extra is not installed")
require_module("tensorflow_datasets", "the [tfds] extra is not installed")

RECIPE = """
import json, sys
import torch

class Torchify(torch.utils.data.Dataset):
    def __init__(self, source):
        self.source = source
    def __len__(self):
        return len(self.source)
    def __getitem__(self, i):
        ex = self.source[i]
        return torch.from_numpy(ex["image"]).permute(2, 0, 1), int(ex["label"])

if __name__ == "__main__":
    import medmnist_hub.tfds_builders
    import tensorflow_datasets as tfds
    tfds.disable_progress_bar()
    train = tfds.data_source("medmnist/retinamnist", split="train", data_dir=DATA_DIR,
                             builder_kwargs={"file_format": "array_record", "source_dirs": [SOURCE]})
    train[0]  # the parent has now written and read array_record
    loader = torch.utils.data.DataLoader(Torchify(train), batch_size=64, shuffle=True, num_workers=2,
                                         multiprocessing_context="forkserver")
    labels, shapes = [], set()
    for x, y in loader:
        labels += y.tolist()
        shapes.add(tuple(x.shape[1:]))
    print("RESULT", json.dumps({"labels": sorted(labels), "shapes": sorted(shapes)}))
"""


def test_dataloader_with_forkserver_workers_reads_every_example(tmp_path):
    real = real_file_or_skip("retinamnist")
    script = tmp_path / "recipe.py"
    script.write_text(f"DATA_DIR = {str(tmp_path / 'tfds')!r}\nSOURCE = {str(real.parent)!r}\n" + RECIPE)
    proc = run_python(f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1].splitlines()[0])
    _, labels = official_split(real, "train")
    assert result["labels"] == sorted(labels[:, 0].tolist())
    assert result["shapes"] == [[3, 28, 28]]
