"""FID's Frechet part on Inception-sized statistics: ``metrics.stats.frechet_distance`` (two
symmetric eigendecompositions) against the reference implementations' route (pytorch-fid,
StyleGAN's metrics: ``scipy.linalg.sqrtm`` of S1 S2), timed in one run. Prints one JSON line.

  python benchmarks/fid_stats_benchmark.py [--dim=2048] [--samples=1000]
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

from gan_jax.metrics import stats  # noqa: E402


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--dim", type=int, default=2048)
  p.add_argument("--samples", type=int, default=1000, help="per side (< dim: singular)")
  a = p.parse_args()
  rng = np.random.default_rng(0)
  mix = np.eye(a.dim) + 0.05 * rng.normal(size=(a.dim, a.dim))
  f1 = np.maximum(rng.normal(size=(a.samples, a.dim)) @ mix, 0)  # ReLU-like, as pool features
  f2 = np.maximum(rng.normal(0.1, 1.1, size=(a.samples, a.dim)) @ mix, 0)
  (m1, s1), (m2, s2) = [(f.mean(0), np.cov(f, rowvar=False)) for f in (f1, f2)]
  t0 = time.perf_counter()
  ours, _ = stats.frechet_distance(m1, s1, m2, s2)
  t1 = time.perf_counter()
  root = scipy.linalg.sqrtm(s1 @ s2)
  ref = float((m1 - m2) @ (m1 - m2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(root).real)
  t2 = time.perf_counter()
  print(json.dumps({"benchmark": "frechet_distance", "dim": a.dim, "samples": a.samples,
                    "seconds_eigh": round(t1 - t0, 2), "seconds_sqrtm": round(t2 - t1, 2),
                    "fid_eigh": ours, "fid_sqrtm": ref,
                    "relative_difference": abs(ours - ref) / abs(ref)}))


if __name__ == "__main__":
  main()
