#!/usr/bin/env bash
# GPU figures, each beside PyTorch CUDA on the same machine where the comparison exists:
# the main command's step (dcgan_mnist: latent 16, hidden 100, batch 64) and the study's
# latent-100 step, the FID feature rate (random weights: the same speed, nothing to carry),
# and a K = 8 seed ensemble (vmap and unroll) against its members one after another.
#
# Needs on the GPU machine only JAX (CUDA), flax, optax, orbax, PyTorch and the pure-Python
# wheels below, carried with the tree (no TensorFlow, TFDS or clu: the run path imports none):
#   pip download --no-deps -d benchmarks/wheels ml_collections==1.1.0 absl-py PyYAML  # here, once
#   bash benchmarks/gpu_benchmark.sh > gpu.jsonl                                # there
# Each line of the output is one JSON figure.
set -uo pipefail
cd "$(dirname "$0")/.."
for w in benchmarks/wheels/*.whl; do [ -e "$w" ] && PYTHONPATH="${PYTHONPATH:-}:$PWD/$w"; done
export PYTHONPATH="$PWD:${PYTHONPATH:-}"
export TF_CPP_MIN_LOG_LEVEL=2
python -c "import jax; print('{\"devices\": \"%s\", \"jax\": \"%s\"}' % (jax.devices(), jax.__version__))"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/# /'
for latent in 16 100; do
  python benchmarks/step_benchmark.py --config=configs/dcgan_mnist.py \
    --config.model.latent_dim=$latent --steps=300 2>/dev/null
  python benchmarks/torch_reference.py --model=dcgan --latent_dim=$latent --hidden=100 \
    --steps=300 --device=cuda
done
python benchmarks/inception_benchmark.py --random_weights --images=4096 --batch_size=256 2>/dev/null
python benchmarks/inception_benchmark.py --torch_reference=torchvision --images=4096 --batch_size=256
for strategy in vmap unroll; do
  python benchmarks/ensemble_benchmark.py --config=configs/dcgan_mnist.py --members=8 \
    --strategy=$strategy --steps=100 2>/dev/null
done
