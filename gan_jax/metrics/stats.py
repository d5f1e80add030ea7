"""FID, KID and Inception Score from features, in float64 on the host.

- ``RunningStats`` accumulates mean and covariance batch by batch in float64.
- ``frechet_distance``: ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2)) with
  ``scipy.linalg.sqrtm``; a non-finite root retries with eps*I added to both
  covariances (the standard fix, logged); imaginary parts above 1e-3 are an error.
- ``kernel_inception_distance``: unbiased MMD^2 with the cubic polynomial kernel
  k(x, y) = (x.y / d + 1)^3, averaged over random subsets (StyleGAN2-ADA protocol:
  100 subsets of at most 1,000).
- ``inception_score``: exp(E_x KL(p(y|x) || p(y))) per split, mean and std.
"""

import warnings

import numpy as np
import scipy.linalg
from absl import logging

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


def _sqrtm(m):
  """scipy's sqrtm; singularity is handled by the caller (finite check + eps fix)."""
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
    return scipy.linalg.sqrtm(m)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> tuple[float, dict]:
  """Returns (FID, info); info says whether the eps fix was needed."""
  mu1, mu2 = np.atleast_1d(np.float64(mu1)), np.atleast_1d(np.float64(mu2))
  s1, s2 = np.atleast_2d(np.float64(sigma1)), np.atleast_2d(np.float64(sigma2))
  if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
    raise MetricInputError(f"mismatched statistics: {mu1.shape}, {s1.shape} vs {mu2.shape}, {s2.shape}")
  diff = mu1 - mu2
  covmean = _sqrtm(s1 @ s2)
  info = {"eps_fix": False}
  if not np.isfinite(covmean).all():
    logging.warning("FID: singular product of covariances; adding %g to their diagonals", eps)
    offset = np.eye(s1.shape[0]) * eps
    covmean = _sqrtm((s1 + offset) @ (s2 + offset))
    info["eps_fix"] = True
  if np.iscomplexobj(covmean):
    imag = np.max(np.abs(covmean.imag))
    if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
      raise MetricInputError(f"FID: matrix square root has an imaginary component {imag:.3g}")
    covmean = covmean.real
    info["max_imag"] = float(imag)
  fid = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
  return fid, info


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
