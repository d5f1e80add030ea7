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
itself at distance 0 as the 0-th). The distances are computed in float32 blocks of real rows
(the full 10k x 10k matrices are never held), with ||a||^2 + ||b||^2 - 2 a.b clipped at 0.
Hand-written because the reference implementation needs scikit-learn and holds every
distance matrix in memory.
"""

import numpy as np

from gan_jax.metrics.stats import MetricInputError


def _sq_norms(x):
  return np.einsum("ij,ij->i", x, x)


def _distances(a, b, a_sq, b_sq):
  d = a_sq[:, None] + b_sq[None, :] - 2.0 * (a @ b.T)
  return np.sqrt(np.maximum(d, 0.0))


def kth_neighbour_radii(x, k: int, block: int = 1024) -> np.ndarray:
  """Distance from each row of ``x`` to its k-th nearest other row."""
  sq = _sq_norms(x)
  out = np.empty(len(x), np.float32)
  for s in range(0, len(x), block):
    d = _distances(x[s:s + block], x, sq[s:s + block], sq)
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
  r_rad = kth_neighbour_radii(real, k, block)
  f_rad = kth_neighbour_radii(fake, k, block)
  r_sq, f_sq = _sq_norms(real), _sq_norms(fake)
  in_real_balls = np.zeros(len(fake), np.int64)  # per fake: #real balls holding it
  recalled = np.zeros(len(real), bool)
  covered = np.zeros(len(real), bool)
  for s in range(0, len(real), block):
    d = _distances(real[s:s + block], fake, r_sq[s:s + block], f_sq)
    inside = d < r_rad[s:s + block, None]
    in_real_balls += inside.sum(axis=0)
    recalled[s:s + block] = (d < f_rad[None, :]).any(axis=1)
    covered[s:s + block] = d.min(axis=1) < r_rad[s:s + block]
  return {"precision": float((in_real_balls > 0).mean()),
          "recall": float(recalled.mean()),
          "density": float(in_real_balls.mean() / k),
          "coverage": float(covered.mean())}
