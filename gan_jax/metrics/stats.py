"""FID, KID and Inception Score from features, in float64 on the host.

- ``RunningStats`` accumulates mean and covariance batch by batch in float64.
- ``frechet_distance``: ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2)). Only the trace of the
  root enters, and the eigenvalues of S1 S2 are those of the symmetric positive
  semi-definite A S2 A, A = S1^(1/2): so Tr sqrt(S1 S2) is the sum of the square roots of
  their eigenvalues, from two symmetric eigendecompositions (``trace_sqrt_product``). The
  reference implementations (pytorch-fid, StyleGAN's metrics) take the whole root with
  ``scipy.linalg.sqrtm`` instead: the same number (to 1e-12 relative at 2048 dimensions,
  ``tests/metrics/metrics_stats_test.py``) at 3.6x the time, and on covariances of fewer
  samples than dimensions, where the product is singular, an inaccurate root that they
  repair by adding eps*I; here rounding's negative eigenvalues count as 0 and no repair is
  needed.
- ``kernel_inception_distance``: unbiased MMD^2 with the cubic polynomial kernel
  k(x, y) = (x.y / d + 1)^3, averaged over random subsets (StyleGAN2-ADA protocol:
  100 subsets of at most 1,000).
- ``inception_score``: exp(E_x KL(p(y|x) || p(y))) per split, mean and std.
"""

import numpy as np

from gan_jax.utils.errors import GanJaxError


class MetricInputError(GanJaxError, ValueError):
  pass


class RunningStats:
  """Mean and covariance of feature vectors, accumulated in float64."""

  def __init__(self, dim: int):
    self.n = 0
    self.sum = np.zeros(dim, np.float64)
    self.outer = np.zeros((dim, dim), np.float64)

  def update(self, feats):
    f = np.asarray(feats, np.float64)
    if f.ndim != 2 or f.shape[1] != self.sum.shape[0]:
      raise MetricInputError(f"features must be (N, {self.sum.shape[0]}), got {f.shape}")
    self.n += f.shape[0]
    self.sum += f.sum(0)
    self.outer += f.T @ f

  def mean_cov(self):
    if self.n < 2:
      raise MetricInputError(f"a covariance needs at least 2 samples, got {self.n}")
    mu = self.sum / self.n
    cov = (self.outer - self.n * np.outer(mu, mu)) / (self.n - 1)
    return mu, cov


def _symmetric(m):
  return (m + m.T) / 2


def trace_sqrt_product(s1, s2) -> float:
  """Tr sqrt(S1 S2) of two covariances (symmetric positive semi-definite), float64."""
  w, v = np.linalg.eigh(_symmetric(s1))
  root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # S1^(1/2)
  eig = np.linalg.eigvalsh(_symmetric(root @ s2 @ root))
  return float(np.sum(np.sqrt(np.clip(eig, 0, None))))


def frechet_distance(mu1, sigma1, mu2, sigma2) -> tuple[float, dict]:
  """Returns (FID, info). ``info['eps_fix']`` is False: the field the results keep from
  the sqrtm route's repair of singular products, which this route does not need."""
  mu1, mu2 = np.atleast_1d(np.float64(mu1)), np.atleast_1d(np.float64(mu2))
  s1, s2 = np.atleast_2d(np.float64(sigma1)), np.atleast_2d(np.float64(sigma2))
  if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
    raise MetricInputError(f"mismatched statistics: {mu1.shape}, {s1.shape} vs {mu2.shape}, {s2.shape}")
  if not all(np.isfinite(a).all() for a in (mu1, mu2, s1, s2)):
    raise MetricInputError("FID: the feature statistics are not finite (were the images?)")
  diff = mu1 - mu2
  fid = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt_product(s1, s2))
  return fid, {"eps_fix": False}


def kernel_inception_distance(feats1, feats2, num_subsets: int = 100, max_subset_size: int = 1000,
                              seed: int = 0) -> float:
  f1, f2 = np.asarray(feats1, np.float64), np.asarray(feats2, np.float64)
  m = min(len(f1), len(f2), max_subset_size)
  if m < 2:
    raise MetricInputError(f"KID needs at least 2 samples per set, got {len(f1)} and {len(f2)}")
  d = f1.shape[1]
  rng = np.random.default_rng(seed)
  t = 0.0
  for _ in range(num_subsets):
    x = f2[rng.choice(len(f2), m, replace=False)]
    y = f1[rng.choice(len(f1), m, replace=False)]
    a = (x @ x.T / d + 1) ** 3 + (y @ y.T / d + 1) ** 3
    b = (x @ y.T / d + 1) ** 3
    t += (a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m
  return float(t / num_subsets / m)


def inception_score(logits, splits: int = 10) -> tuple[float, float]:
  z = np.asarray(logits, np.float64)
  if z.ndim != 2 or len(z) < splits:
    raise MetricInputError(f"Inception Score needs (N >= splits={splits}, classes) logits, got {z.shape}")
  z = z - z.max(1, keepdims=True)
  p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
  scores = []
  for part in np.array_split(p, splits):
    py = part.mean(0, keepdims=True)
    kl = (part * (np.log(part + 1e-12) - np.log(py + 1e-12))).sum(1).mean()
    scores.append(np.exp(kl))
  return float(np.mean(scores)), float(np.std(scores))
