"""Preprocessing of uint8 images for training (``preprocess``): a non-square image made
square (``data.fit``), then padded or resized to ``data.image_size`` as TensorFlow 2's
``tf.image.resize`` does (antialias off) for every method of ``data.resize``, by separable
interpolation matrices built in float64 and applied in float32 (``tests/data/pipeline_test.py``
checks each against TensorFlow). numpy only: the decoding processes (``decoding.py``) import
it without JAX."""

import functools
import math

import numpy as np

from gan_jax.data.specs import FITS, RESIZE_METHODS
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice


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


# ---- preprocessing ---------------------------------------------------------------------------

def _centre_crop(x: np.ndarray, crop: int) -> np.ndarray:
  """The centred crop x crop square (crop 0: the largest centred square) of (..., H, W, C)."""
  h, w = x.shape[-3], x.shape[-2]
  side = min(h, w) if crop == 0 else min(h, w, crop)
  top, left = (h - side) // 2, (w - side) // 2
  return x[..., top:top + side, left:left + side, :]


def _pad_square(x: np.ndarray) -> np.ndarray:
  """(..., H, W, C) padded with black (-1) on both sides of its shorter side to a square."""
  h, w = x.shape[-3], x.shape[-2]
  side = max(h, w)
  top, left = (side - h) // 2, (side - w) // 2
  pad = [(0, 0)] * (x.ndim - 3) + [(top, side - h - top), (left, side - w - left), (0, 0)]
  return np.pad(x, pad, constant_values=-1.0)


def preprocess(images: np.ndarray, image_size: int, method: str, crop: int = 0,
               fit: str = "crop") -> np.ndarray:
  """uint8 (B, H, W, C) or (H, W, C) -> float32 (..., S, S, C) in [-1, 1]: a non-square
  image becomes square as ``fit`` says (``crop``: the centred square, ``crop`` px or 0 = the
  largest; ``squash``: the whole frame, its aspect not kept; ``pad``: the whole frame padded
  with black), then is padded (``method='pad'``) or resized to ``image_size``."""
  images = np.asarray(images)
  h, w = images.shape[-3], images.shape[-2]
  x = images.astype(np.float32) / 127.5 - 1.0
  if h == w == image_size and crop in (0, image_size):
    return x
  if method == "pad":
    if h != w or image_size < h or (image_size - h) % 2 or crop:
      raise ConfigError(f"data.resize='pad' cannot take {h}x{w}px images"
                        + (f" cropped to {crop}" if crop else "") + f" to {image_size}px; "
                        f"use one of {RESIZE_METHODS[1:]}.")
    p = (image_size - h) // 2
    pad = [(0, 0)] * (x.ndim - 3) + [(p, p), (p, p), (0, 0)]
    return np.pad(x, pad, constant_values=-1.0)
  check_choice("data.resize", method, RESIZE_METHODS)
  check_choice("data.fit", fit, FITS)
  if fit == "crop":
    x = _centre_crop(x, crop)
  elif fit == "pad":
    x = _pad_square(x)
  rh = resize_matrix(x.shape[-3], image_size, method)
  rw = resize_matrix(x.shape[-2], image_size, method)
  y = np.einsum("oh,...hwc->...owc", rh, x, optimize=True)
  y = np.einsum("pw,...owc->...opc", rw, y, optimize=True)
  return np.clip(y, -1.0, 1.0).astype(np.float32)
