"""TensorFlow 2's ``tf.image.resize`` (antialias off) for every method of ``data.resize``, as
separable interpolation matrices built in float64 and applied in float32 by the pipeline
(``tests/data/pipeline_test.py`` checks each against TensorFlow)."""

import functools
import math

import numpy as np


def _scale(n_in, n_out):
  """TensorFlow's float32 scale and half-pixel source positions (boundaries depend on it)."""
  scale = np.float32(n_in) / np.float32(n_out)
  return scale, (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * scale


def _bilinear(n_in, n_out):
  _, centre = _scale(n_in, n_out)
  src = (centre - np.float32(0.5)).astype(np.float64)
  lo_f = np.floor(src)
  lerp = src - lo_f
  lo = np.maximum(lo_f, 0).astype(int)
  hi = np.minimum(np.ceil(src), n_in - 1).astype(int)
  m = np.zeros((n_out, n_in))
  np.add.at(m, (np.arange(n_out), lo), 1 - lerp)
  np.add.at(m, (np.arange(n_out), hi), lerp)
  return m


def _nearest(n_in, n_out):
  _, centre = _scale(n_in, n_out)
  src = np.floor(centre).astype(int)
  m = np.zeros((n_out, n_in))
  m[np.arange(n_out), np.clip(src, 0, n_in - 1)] = 1.0
  return m


def _area(n_in, n_out):
  scale = _scale(n_in, n_out)[0]
  m = np.zeros((n_out, n_in))
  for y in range(n_out):
    a, b = float(np.float32(y) * scale), float(np.float32(y + 1) * scale)
    for i in range(int(math.floor(a)), int(math.ceil(b))):
      m[y, min(max(i, 0), n_in - 1)] += (min(i + 1, b) - max(i, a)) / float(scale)
  return m


def _bicubic(n_in, n_out, a=-0.5):
  """Keys' cubic (a = -0.5) at half-pixel centres, the offset rounded to 1/1024 px (its
  coefficient table); taps outside the image get weight 0 and the rest are renormalised, as
  TensorFlow's half-pixel ``resize_bicubic`` does."""
  _, centre = _scale(n_in, n_out)
  m = np.zeros((n_out, n_in))
  for y in range(n_out):
    src = np.float32(centre[y] - np.float32(0.5))
    f = math.floor(src)
    t = float(np.rint(np.float32(src - np.float32(f)) * 1024)) / 1024
    w = [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
         ((a + 2) * t - (a + 3)) * t * t + 1,
         ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
         ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a]
    taps = [(f - 1 + k, wk) for k, wk in enumerate(w) if 0 <= f - 1 + k < n_in]
    total = sum(wk for _, wk in taps)
    for i, wk in taps:
      m[y, i] += wk / total
  return m


_MATRICES = {"bilinear": _bilinear, "nearest": _nearest, "area": _area, "bicubic": _bicubic}


@functools.lru_cache(maxsize=64)
def resize_matrix(n_in: int, n_out: int, method: str) -> np.ndarray:
  """(n_out, n_in) float32: ``tf.image.resize``'s ``method`` along one axis."""
  return _MATRICES[method](n_in, n_out).astype(np.float32)
