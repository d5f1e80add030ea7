#!/usr/bin/env bash
# gan_jax vs the PyTorch eager reference, back to back, same architecture and batch.
# Needs torch==2.13.0 in $TORCH_PYTHON's environment (dev only):
#   TORCH_PYTHON=/path/to/venv-with-torch/bin/python bash benchmarks/compare_cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_PYTHON=${TORCH_PYTHON:-python}
for model in dcgan mlp; do
  steps=30; [ "$model" = mlp ] && steps=500
  python benchmarks/step_benchmark.py --config=configs/dcgan_mnist.py --config.model.name=$model \
    --config.model.latent_dim=100 --config.model.g_hidden=100 --config.model.d_hidden=100 \
    --steps=$steps 2>/dev/null
  "$TORCH_PYTHON" benchmarks/torch_reference.py --model=$model --latent_dim=100 --hidden=100 --steps=$steps
done
