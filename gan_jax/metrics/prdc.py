"""Improved precision and recall (Kynkaanniemi et al. 2019) and density and coverage (Naeem et
al. 2020, "Reliable fidelity and diversity metrics for generative models"), from features.

Each real sample i has a radius r_i, the distance to its k-th nearest real neighbour (itself
not counted); likewise each fake sample j has f_j among the fakes. With d(i, j) the Euclidean
distance between real i and fake j:

  precision = fraction of fakes j inside some real ball:     any_i  d(i, j) < r_i
  recall    = fraction of reals i inside some fake ball:     any_j  d(i, j) < f_j
  density   = (1 / k) mean_j  #{i : d(i, j) < r_i}          (can exceed 1)
  coverage  = fraction of reals i whose nearest fake is inside their own ball:
              min_j d(i, j) < r_i

as the authors' ``prdc`` package computes them (strict inequalities, k-th neighbour with
itself at distance 0 as the 0-th). Hand-written because the reference implementation needs
scikit-learn and holds every distance matrix in memory: here the distances are computed in
blocks of real rows.

The metric compares distances with radii, so a point on a ball's boundary must get the same
number from both. Float matrix products do not promise that (their last bits depend on the
block shape and on the CPU's kernels), so both sets are first put on one integer grid: each
feature is rounded to a multiple of one power of two, at most ``2**b`` in magnitude with
``D * 4**b <= 2**50`` (b = 20 for D = 2048, finer than float32's own rounding of the larger
features). Every dot product of grid points, and every partial sum of one, is then an
integer below 2**53 that float64 holds exactly, whatever the order of summation: squared
distances are exact integers, the same in every product and on every machine.
"""

import math

import numpy as np

from gan_jax.metrics.stats import MetricInputError


def on_grid(*sets) -> list[np.ndarray]:
  """The sets (each (N, D), one D) rounded to one integer grid, as float64 integers whose dot
  products are exact (see the module docstring)."""
  dim = sets[0].shape[1]
  bits = max(1, min(24, (50 - math.ceil(math.log2(max(dim, 1)))) // 2))
  top = max(float(np.max(np.abs(s))) if s.size else 0.0 for s in sets)
  if top == 0.0 or not math.isfinite(top):
    if not math.isfinite(top):
      raise MetricInputError("PRDC got non-finite features.")
    return [np.zeros(s.shape, np.float64) for s in sets]
  scale = math.ldexp(1.0, bits - math.frexp(top)[1])  # a power of two: x * scale is exact
  return [np.rint(np.asarray(s, np.float64) * scale) for s in sets]


def _sq_norms(x):
  return np.einsum("ij,ij->i", x, x)


def _sq_distances(a, b, a_sq, b_sq):
  """Exact squared distances between grid points (integers held in float64)."""
  return a_sq[:, None] + b_sq[None, :] - 2.0 * (a @ b.T)


def kth_neighbour_sq_radii(x, k: int, block: int = 1024) -> np.ndarray:
  """Squared distance from each grid point of ``x`` to its k-th nearest other row."""
  sq = _sq_norms(x)
  out = np.empty(len(x), np.float64)
  for s in range(0, len(x), block):
    d = _sq_distances(x[s:s + block], x, sq[s:s + block], sq)
    out[s:s + block] = np.partition(d, k, axis=1)[:, k]
  return out


def prdc(real, fake, k: int = 5, block: int = 1024) -> dict:
  """``{"precision", "recall", "density", "coverage"}`` of ``fake`` against ``real``
  features (N, D) and (M, D)."""
  real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
  if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
    raise MetricInputError(f"PRDC needs two (N, D) feature sets of one D, got {real.shape} "
                           f"and {fake.shape}")
  if k < 1 or min(len(real), len(fake)) <= k:
    raise MetricInputError(f"PRDC with k={k} needs more than k samples per set, got "
                           f"{len(real)} real and {len(fake)} fake")
  real, fake = on_grid(real, fake)
  r_rad = kth_neighbour_sq_radii(real, k, block)
  f_rad = kth_neighbour_sq_radii(fake, k, block)
  r_sq, f_sq = _sq_norms(real), _sq_norms(fake)
  in_real_balls = np.zeros(len(fake), np.int64)  # per fake: #real balls holding it
  recalled = np.zeros(len(real), bool)
  covered = np.zeros(len(real), bool)
  for s in range(0, len(real), block):
    d = _sq_distances(real[s:s + block], fake, r_sq[s:s + block], f_sq)
    inside = d < r_rad[s:s + block, None]
    in_real_balls += inside.sum(axis=0)
    recalled[s:s + block] = (d < f_rad[None, :]).any(axis=1)
    covered[s:s + block] = d.min(axis=1) < r_rad[s:s + block]
  return {"precision": float((in_real_balls > 0).mean()),
          "recall": float(recalled.mean()),
          "density": float(in_real_balls.mean() / k),
          "coverage": float(covered.mean())}
