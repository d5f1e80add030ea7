"""Convolutions with PyTorch's size semantics, written for speed on XLA.

Both layers keep the plain parameter layout (kernel ``(kh, kw, in, out)``) and
compute exactly what the textbook operator computes; only the way XLA is asked
to compute it differs.  ``impl="reference"`` selects the direct
``lax.conv_general_dilated`` formulation, which the tests compare against.

Why hand-written: on XLA:CPU ``lax.conv_transpose`` runs its backward pass at a
fifth of the speed of an equivalent stride-1 convolution, and the stride-2
convolution is faster as space-to-depth + stride-1 convolution.  No library
offers these rewrites, and the generator spends most of its time in them.
"""

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

Initializer = Callable[..., jax.Array]


def torch_bias_init(fan_in: int) -> Initializer:
  """PyTorch's default bias init of Conv2d / ConvTranspose2d / Linear: U(+-1/sqrt(fan_in))."""
  bound = 1.0 / fan_in ** 0.5
  return lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -bound, bound)


_DIMS = ("NHWC", "HWIO", "NHWC")
IMPLS = ("fast", "reference")


def conv_transpose_reference(x, kernel, stride: int, padding: int):
  """``torch.nn.ConvTranspose2d`` semantics: y[s*i - p + k] += x[i] * w[k]."""
  k = kernel.shape[0]
  pad = k - 1 - padding
  return lax.conv_general_dilated(
      x, kernel[::-1, ::-1], window_strides=(1, 1),
      padding=((pad, pad), (pad, pad)), lhs_dilation=(stride, stride),
      dimension_numbers=_DIMS)


def conv_reference(x, kernel, stride: int, padding: int):
  """``torch.nn.Conv2d`` semantics (cross-correlation, symmetric zero padding)."""
  return lax.conv_general_dilated(
      x, kernel, window_strides=(stride, stride),
      padding=((padding, padding), (padding, padding)), dimension_numbers=_DIMS)


def _conv2x2_valid(x, kernel):
  """Stride-1 2x2 'valid' correlation as im2col + one matmul.

  XLA:CPU computes the kernel gradient of a convolution over small maps at a
  few GFLOP/s; written as a matmul both gradients are matmuls (~50x faster).
  """
  b, h, w, c = x.shape
  patches = jnp.concatenate(
      [x[:, i:i + h - 1, j:j + w - 1, :] for i in (0, 1) for j in (0, 1)], axis=-1)
  y = patches.reshape(-1, 4 * c) @ kernel.reshape(4 * c, -1).astype(x.dtype)
  return y.reshape(b, h - 1, w - 1, -1)


def _subpixel_kernel(kernel):
  """Rearranges a (4, 4, I, O) k4/s2/p1 kernel into a (2, 2, I, 4*O) one.

  For output row 2m + r the taps are input rows (m - 1 + r + t), t in {0, 1},
  with kernel row 3 - r - 2t; the same holds for columns.
  """
  i, o = kernel.shape[2:]
  sub = jnp.stack([
      jnp.stack([kernel[3 - rh::-2, 3 - rw::-2][:2, :2] for rw in (0, 1)], axis=-2)
      for rh in (0, 1)], axis=-3)  # (2, 2, I, rh, rw, O)
  return sub.reshape(2, 2, i, 4 * o)


def _conv_transpose_k4s2p1_im2col(x, kernel):
  """Transposed conv k4/s2/p1 as a 2x2 conv to 4x channels + depth-to-space."""
  b, h, w, _ = x.shape
  o = kernel.shape[-1]
  xp = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
  q = _conv2x2_valid(xp, _subpixel_kernel(kernel))  # (B, h+1, w+1, 4*O)
  q = q.reshape(b, h + 1, w + 1, 2, 2, o)
  rows = []
  for rh in (0, 1):
    cols = [q[:, rh:rh + h, rw:rw + w, rh, rw] for rw in (0, 1)]
    rows.append(jnp.stack(cols, axis=3))  # (B, h, w, 2[rw], O)
  y = jnp.stack(rows, axis=2)  # (B, h, 2[rh], w, 2[rw], O)
  return y.reshape(b, 2 * h, 2 * w, o)


def _conv_k4s2p1_im2col(x, kernel):
  """Stride-2 k4/p1 conv as space-to-depth followed by a 2x2 conv."""
  b, h, w, c = x.shape
  o = kernel.shape[-1]
  xp = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
  hh, ww = (h + 2) // 2, (w + 2) // 2
  s2d = xp.reshape(b, hh, 2, ww, 2, c).transpose(0, 1, 3, 2, 4, 5)
  s2d = s2d.reshape(b, hh, ww, 4 * c)  # channel order (ah, aw, c)
  k2 = kernel.reshape(2, 2, 2, 2, c, o).transpose(0, 2, 1, 3, 4, 5)
  k2 = k2.reshape(2, 2, 4 * c, o)  # w2[th, tw, (ah, aw, c)] = w[2th+ah, 2tw+aw, c]
  return _conv2x2_valid(s2d, k2)


# Below this many input pixels XLA:CPU's convolution kernel-gradient is slow and
# the im2col matmul wins; above it the convolution wins (measured, 2-core EPYC).
_IM2COL_DW_MAX_PIXELS = 64


def _fastest_per_pass(direct, im2col):
  """Same function, each pass through its fastest formulation.

  Forward and input-gradient use ``direct`` (lax convolutions); the kernel
  gradient uses ``im2col`` (a matmul) on small maps.  Both compute the same math.
  """
  @jax.custom_vjp
  def f(x, kernel):
    return direct(x, kernel)

  def fwd(x, kernel):
    return direct(x, kernel), (x, kernel)

  def bwd(res, dy):
    x, kernel = res
    _, vjp_x = jax.vjp(lambda x_: direct(x_, kernel), x)
    small = x.shape[1] * x.shape[2] <= _IM2COL_DW_MAX_PIXELS
    _, vjp_k = jax.vjp(lambda k_: (im2col if small else direct)(x, k_), kernel)
    return vjp_x(dy)[0], vjp_k(dy)[0]

  f.defvjp(fwd, bwd)
  return f


conv_transpose_k4s2p1_fast = _fastest_per_pass(
    lambda x, k: conv_transpose_reference(x, k, 2, 1), _conv_transpose_k4s2p1_im2col)
conv_k4s2p1_fast = _fastest_per_pass(
    lambda x, k: conv_reference(x, k, 2, 1), _conv_k4s2p1_im2col)


class ConvTranspose(nn.Module):
  """``nn.ConvTranspose2d(in, features, kernel_size, stride, padding, bias=use_bias)``."""
  features: int
  kernel_size: int = 4
  stride: int = 2
  padding: int = 1
  use_bias: bool = False
  kernel_init: Initializer = nn.initializers.normal(0.02)
  impl: str = "fast"

  @nn.compact
  def __call__(self, x):
    k = self.kernel_size
    kernel = self.param("kernel", self.kernel_init, (k, k, x.shape[-1], self.features))
    if self.impl not in IMPLS:
      raise ValueError(f"impl must be one of {IMPLS}, got {self.impl!r}")
    fast = self.impl == "fast"
    if fast and x.shape[1:3] == (1, 1) and self.stride == 1 and self.padding == 0:
      # A 1x1 input projects to a k x k map: one matmul.
      y = jnp.einsum("bi,hwio->bhwo", x.reshape(x.shape[0], -1), kernel)
    elif fast and (k, self.stride, self.padding) == (4, 2, 1):
      y = conv_transpose_k4s2p1_fast(x, kernel)
    else:
      y = conv_transpose_reference(x, kernel, self.stride, self.padding)
    if self.use_bias:  # torch computes fan_in of the (in, out, k, k) weight as out * k * k
      y = y + self.param("bias", torch_bias_init(self.features * k * k), (self.features,))
    return y


class Conv(nn.Module):
  """``nn.Conv2d(in, features, kernel_size, stride, padding, bias=use_bias)``."""
  features: int
  kernel_size: int = 4
  stride: int = 2
  padding: int = 1
  use_bias: bool = False
  kernel_init: Initializer = nn.initializers.normal(0.02)
  impl: str = "fast"

  @nn.compact
  def __call__(self, x):
    k = self.kernel_size
    kernel = self.param("kernel", self.kernel_init, (k, k, x.shape[-1], self.features))
    if self.impl not in IMPLS:
      raise ValueError(f"impl must be one of {IMPLS}, got {self.impl!r}")
    fast = self.impl == "fast"
    h, w = x.shape[1:3]
    if fast and self.padding == 0 and (h, w) == (k, k):
      # The window covers the whole map: one matmul.
      y = x.reshape(x.shape[0], -1) @ kernel.reshape(-1, self.features)
      y = y.reshape(x.shape[0], 1, 1, self.features)
    elif fast and (k, self.stride, self.padding) == (4, 2, 1) and h % 2 == 0 and w % 2 == 0:
      y = conv_k4s2p1_fast(x, kernel)
    else:
      y = conv_reference(x, kernel, self.stride, self.padding)
    if self.use_bias:
      y = y + self.param("bias", torch_bias_init(x.shape[-1] * k * k), (self.features,))
    return y
