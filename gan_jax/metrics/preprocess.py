"""Images -> Inception inputs, exactly as the published FID protocols do it.

Generated images are quantised to uint8 as a saved PNG would be, grey is tiled to
3 channels, the uint8 values are resized to 299x299 in float, then mapped to
v / 128 - 1.  Every resize is a pair of interpolation matrices (out x in), built
in float64 from the reference definition and applied as two matmuls:

- ``tf1_bilinear`` (default; TTUR, TF-GAN, Lucic et al.): TF1 ``resize_bilinear``,
  align_corners=False: source = dest * in/out, no half-pixel offset, edges clamped.
- ``torch_bilinear`` (pytorch-fid): ``F.interpolate(mode='bilinear',
  align_corners=False)``: source = (dest + 0.5) * in/out - 0.5, clamped at 0.
- ``pil_bicubic`` (clean-fid): PIL ``Image.resize(BICUBIC)`` on float images
  (a = -0.5, support widened by the scale when shrinking).
"""

import functools

import jax.numpy as jnp
import numpy as np

from gan_jax.metrics.stats import MetricInputError

RESIZE_METHODS = ("tf1_bilinear", "torch_bilinear", "pil_bicubic")
INCEPTION_SIZE = 299


def _bilinear_matrix(n_in, n_out, src):
  m = np.zeros((n_out, n_in))
  y0 = np.floor(src).astype(int)
  frac = src - y0
  y0c, y1c = np.clip(y0, 0, n_in - 1), np.clip(y0 + 1, 0, n_in - 1)
  rows = np.arange(n_out)
  np.add.at(m, (rows, y0c), 1 - frac)
  np.add.at(m, (rows, y1c), frac)
  return m


def _cubic(x, a=-0.5):
  x = np.abs(x)
  return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                  np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def _pil_bicubic_matrix(n_in, n_out):
  """PIL's precompute_coeffs for BICUBIC (support 2), in double precision."""
  scale = n_in / n_out
  filterscale = max(scale, 1.0)
  support = 2.0 * filterscale
  m = np.zeros((n_out, n_in))
  for i in range(n_out):
    center = (i + 0.5) * scale
    xmin = max(int(center - support + 0.5), 0)
    xmax = min(int(center + support + 0.5), n_in)
    x = np.arange(xmin, xmax)
    w = _cubic((x - center + 0.5) / filterscale)
    total = w.sum()
    m[i, xmin:xmax] = w / total if total != 0 else w
  return m


@functools.lru_cache(maxsize=32)
def resize_matrix(n_in: int, n_out: int, method: str) -> np.ndarray:
  dest = np.arange(n_out, dtype=np.float64)
  scale = n_in / n_out
  if method == "tf1_bilinear":
    return _bilinear_matrix(n_in, n_out, dest * scale)
  if method == "torch_bilinear":
    return _bilinear_matrix(n_in, n_out, np.maximum((dest + 0.5) * scale - 0.5, 0.0))
  if method == "pil_bicubic":
    return _pil_bicubic_matrix(n_in, n_out)
  raise MetricInputError(f"Unknown resize method {method!r}; choose one of {RESIZE_METHODS}.")


def resize(x, size, method: str):
  """(B, H, W, C) float -> (B, size, size, C) by the method's matrices (float32 matmuls)."""
  _, h, w, _ = x.shape
  rh = jnp.asarray(resize_matrix(h, size, method), jnp.float32)
  rw = jnp.asarray(resize_matrix(w, size, method), jnp.float32)
  return jnp.einsum("oh,bhwc,pw->bopc", rh, x.astype(jnp.float32), rw)


def quantize(images) -> np.ndarray:
  """[-1, 1] float images -> uint8, as a saved PNG of them would hold."""
  x = np.asarray(images, np.float32)
  if not np.isfinite(x).all():
    raise MetricInputError("images contain NaN or inf")
  if x.min() < -1.0 - 1e-3 or x.max() > 1.0 + 1e-3:
    raise MetricInputError(f"generated images must lie in [-1, 1], got [{x.min():.3g}, {x.max():.3g}]")
  return np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def to_inception_input(images_uint8, method: str = "tf1_bilinear"):
  """uint8 (B, H, W, 1 or 3) -> float32 (B, 299, 299, 3) in [-1, 1)."""
  x = jnp.asarray(images_uint8)
  if x.ndim != 4 or x.shape[-1] not in (1, 3):
    raise MetricInputError(f"images must be (B, H, W, 1 or 3), got {tuple(x.shape)}")
  if x.dtype != jnp.uint8:
    raise MetricInputError(f"expected uint8 images, got {x.dtype}; quantize() float images first")
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  return resize(x.astype(jnp.float32), INCEPTION_SIZE, method) / 128.0 - 1.0
