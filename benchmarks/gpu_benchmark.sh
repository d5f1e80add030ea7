#!/usr/bin/env bash
# GPU figures in one JSON file, each beside PyTorch CUDA on the same machine where the
# comparison exists:
# - the main command's step (dcgan_mnist: latent 16, hidden 100, batch 64) and the study's
#   latent-100 step, in float32 and model.compute_dtype=bfloat16, separate and joint D passes;
#   PyTorch eager in float32, channels-last, and autocast bfloat16 / float16 + GradScaler;
# - the steps of best_fashion_mnist, wgan_fashion_mnist and dcgan_celeba64_transposed (64x64);
# - the Inception feature rate beside torchvision's network, and the 10,000-sample
#   protocol's feature time (random weights: the same speed, nothing to carry);
# - a K = 8 seed ensemble (vmap and unroll);
# - the input pipeline's images/s per decoding core (1..16 cores, threads and processes) for
#   each kind of source;
# - with RUN_REPORT=1 and the prepared MNIST carried in $GAN_JAX_CACHE, the main command at
#   its report settings (5,000 steps, its final 10k FID), timed.
#
# Needs on the GPU machine only JAX (CUDA), flax, optax, orbax, PyTorch, Pillow and the
# pure-Python wheels below, carried with the tree (no TensorFlow, TFDS or clu: the run path
# imports none):
#   pip download --no-deps -d benchmarks/wheels ml_collections==1.1.0 absl-py PyYAML  # here, once
#   pip download --no-deps -d benchmarks/wheels array_record \
#     --python-version=<the GPU machine's, e.g. 3.11> --only-binary=:all:  # the prepared splits
#   bash benchmarks/gpu_benchmark.sh gpu.json                                   # there
# (the wheels are installed there offline; the pure-Python ones also work from PYTHONPATH).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_JSON=${1:-gpu.json}
LINES=$(mktemp)
for w in benchmarks/wheels/*.whl; do [ -e "$w" ] && PYTHONPATH="${PYTHONPATH:-}:$PWD/$w"; done
ls benchmarks/wheels/*.whl >/dev/null 2>&1 && \
  python -m pip install -q --no-deps --no-index benchmarks/wheels/*.whl 2>/dev/null
export PYTHONPATH="$PWD:${PYTHONPATH:-}"
export TF_CPP_MIN_LOG_LEVEL=2
emit() { grep '^{' | tee -a "$LINES"; }
python -c "import jax; print('{\"devices\": \"%s\", \"jax\": \"%s\"}' % (jax.devices(), jax.__version__))" | emit
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/# /'
python benchmarks/dtype_probe.py 2>/dev/null | emit
for latent in 16 100; do
  for dtype in float32 bfloat16; do
    for joint in False True; do
      python benchmarks/step_benchmark.py --config=configs/dcgan_mnist.py \
        --config.model.latent_dim=$latent --config.model.compute_dtype=$dtype \
        --config.joint_d_pass=$joint --steps=300 2>/dev/null | emit
    done
  done
  for torch_args in "" "--channels_last" "--amp=bfloat16 --channels_last" "--amp=float16 --channels_last"; do
    python benchmarks/torch_reference.py --model=dcgan --latent_dim=$latent --hidden=100 \
      --steps=300 --device=cuda $torch_args | emit
  done
done
for config in best_fashion_mnist wgan_fashion_mnist dcgan_celeba64_transposed; do
  for dtype in float32 bfloat16; do
    python benchmarks/step_benchmark.py --config=configs/$config.py \
      --config.model.compute_dtype=$dtype --steps=100 2>/dev/null | emit
  done
done
python benchmarks/inception_benchmark.py --random_weights --images=4096 --batch_size=256 2>/dev/null | emit
python benchmarks/inception_benchmark.py --torch_reference=torchvision --images=4096 --batch_size=256 | emit
python benchmarks/inception_benchmark.py --random_weights --images=10000 --batch_size=256 2>/dev/null | emit
for strategy in vmap unroll; do
  python benchmarks/ensemble_benchmark.py --config=configs/dcgan_mnist.py --members=8 \
    --strategy=$strategy --steps=100 2>/dev/null | emit
done
python benchmarks/input_benchmark.py --cores=1,2,4,8,16 --modes=threads,processes 2>/dev/null | emit
if [ "${RUN_REPORT:-0}" = 1 ]; then
  start=$(date +%s)
  python -m gan_jax.main --config=configs/dcgan_mnist.py --workdir="${OUT:-/tmp}/dcgan_mnist" \
    > "${OUT:-/tmp}/dcgan_mnist.log" 2>&1
  rc=$?
  echo "{\"figure\": \"dcgan_mnist report settings, whole run with its final FID\", \"rc\": $rc, \"seconds\": $(( $(date +%s) - start ))}" | emit
  tail -3 "${OUT:-/tmp}/dcgan_mnist.log"
fi
python - "$LINES" "$OUT_JSON" <<'EOF'
import json, sys
figures = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
json.dump(figures, open(sys.argv[2], "w"), indent=1)
print(f"{len(figures)} figures in {sys.argv[2]}")
EOF
