"""Reliability: two processes writing the same thing at the same time both succeed (or one
waits), and what they leave is whole: no torn Parquet file, no half-built cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow.parquet as pq
import pytest
from support.real_data import real_file_or_skip

EXPORT = textwrap.dedent(
    """
    import json, sys
    from medmnist_hub.hf_builders import export_hub_repo
    result = export_hub_repo(sys.argv[1], [sys.argv[2]], source_dirs=[sys.argv[3]], progress=False, force=True)
    print(json.dumps({"ok": True}))
    """
)

BUILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from medmnist_hub.hf_builders import load_medmnist
    ds = load_medmnist(sys.argv[2], "test", source_dirs=[sys.argv[3]], cache_dir=sys.argv[1])
    labels = np.asarray(ds["label"])
    print(json.dumps({"n": len(ds), "label_sum": int(labels.sum()), "first_id": ds[0]["id"]}))
    """
)


def _race(code: str, *args: str, n: int = 2) -> list[dict]:
    env = {**os.environ}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(n)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.parametrize("config", ["breastmnist", "adrenalmnist3d"])
def test_two_exports_of_the_same_config_into_one_folder(tmp_path, config):
    path = real_file_or_skip(config)
    out = tmp_path / "repo"
    _race(EXPORT, str(out), config, str(path.parent))
    shards = sorted((out / "data" / config).glob("*.parquet"))
    assert shards, "no shard written"
    with np.load(path, allow_pickle=False) as z:
        for split, hf in (("train", "train"), ("val", "validation"), ("test", "test")):
            files = [s for s in shards if s.name.startswith(f"{hf}-")]
            table = pq.read_table(files)  # a torn file would fail to parse here
            assert table.num_rows == len(z[f"{split}_labels"])
            assert table.column("id").to_pylist()[:2] == [f"{split}-000000", f"{split}-000001"]
    leftovers = [p.name for p in out.rglob("*") if "staging" in p.name or p.name.endswith((".tmp", ".incomplete"))]
    assert leftovers == []


def test_two_builds_of_the_same_config_into_one_hf_cache(tmp_path):
    path = real_file_or_skip("pneumoniamnist")
    cache = tmp_path / "hf-cache"
    results = _race(BUILD, str(cache), "pneumoniamnist", str(path.parent))
    with np.load(path, allow_pickle=False) as z:
        expected = {"n": len(z["test_labels"]), "label_sum": int(z["test_labels"].sum()), "first_id": "test-000000"}
    assert results == [expected, expected]
    # and the cache now serves a third reader without rebuilding
    assert _race(BUILD, str(cache), "pneumoniamnist", str(path.parent), n=1) == [expected]
