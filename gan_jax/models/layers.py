"""Convolutions with PyTorch's size semantics, written for speed on XLA.

Both layers keep the plain parameter layout (kernel ``(kh, kw, in, out)``) and
compute exactly what the textbook operator computes; only the way XLA is asked
to compute it differs.  ``impl="reference"`` selects the direct
``lax.conv_general_dilated`` formulation, which the tests compare against.

Why hand-written: on XLA:CPU the kernel gradient of ``lax.conv_transpose`` (a
window-dilated convolution) runs 10-30x slower than the same FLOPs as a stride-1
convolution; the k4/s2/p1 transposed convolution therefore brings its own kernel
gradient.  1x1 -> k x k projections and full-window convolutions are matmuls.
No library offers these rewrites, and the generator spends most of its time in them.
"""

from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

Initializer = Callable[..., jax.Array]


def torch_bias_init(fan_in: int) -> Initializer:
  """PyTorch's default bias init of Conv2d / ConvTranspose2d / Linear: U(+-1/sqrt(fan_in))."""
  bound = 1.0 / fan_in ** 0.5
  return lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -bound, bound)


def cast(dtype, *arrays):
  """The arrays in the compute dtype ``dtype``; ``None`` leaves them as they are (float32)."""
  return arrays if dtype is None else tuple(a.astype(dtype) for a in arrays)


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


def _conv_transpose_k4s2p1_dkernel(x, dy):
  """Kernel gradient of the k4/s2/p1 transposed convolution as one stride-1 convolution.

  With dy padded by 1 and folded space-to-depth, S[n, m, m', (r, s, o)] =
  dy[n, 2m + r - 1, 2m' + s - 1, o], the gradient is
  dk[2t + r, 2u + s, i, o] = sum_{n,p,q} x[n, p, q, i] * S[n, p + t, q + u, (r, s, o)]:
  a 2x2 'valid' correlation of S with x in which the batch is the contracted feature.
  XLA's own kernel gradient of the transposed convolution (a window-dilated
  convolution) runs 10-30x slower on XLA:CPU; this one does exactly its FLOPs.
  """
  b, h, w, i = x.shape
  o = dy.shape[-1]
  dyp = jnp.pad(dy, ((0, 0), (1, 1), (1, 1), (0, 0)))
  s = dyp.reshape(b, h + 1, 2, w + 1, 2, o).transpose(0, 1, 3, 2, 4, 5)
  s = s.reshape(b, h + 1, w + 1, 4 * o)
  r = lax.conv_general_dilated(s, x.astype(s.dtype), (1, 1), "VALID",
                               dimension_numbers=("CHWN", "IHWO", "NHWC"))  # (4O, 2, 2, I)
  r = r.reshape(2, 2, o, 2, 2, i).transpose(3, 0, 4, 1, 5, 2)  # (t, r, u, s, I, O)
  return r.reshape(4, 4, i, o)


@jax.custom_vjp
def conv_transpose_k4s2p1_fast(x, kernel):
  """The k4/s2/p1 transposed convolution; its kernel gradient as above."""
  return conv_transpose_reference(x, kernel, 2, 1)


def _ct_fwd(x, kernel):
  return conv_transpose_reference(x, kernel, 2, 1), (x, kernel)


def _ct_bwd(res, dy):
  x, kernel = res
  _, vjp_x = jax.vjp(lambda x_: conv_transpose_reference(x_, kernel, 2, 1), x)
  return vjp_x(dy)[0], _conv_transpose_k4s2p1_dkernel(x, dy).astype(kernel.dtype)


conv_transpose_k4s2p1_fast.defvjp(_ct_fwd, _ct_bwd)


class ConvTranspose(nn.Module):
  """``nn.ConvTranspose2d(in, features, kernel_size, stride, padding, bias=use_bias)``."""
  features: int
  kernel_size: int = 4
  stride: int = 2
  padding: int = 1
  use_bias: bool = False
  kernel_init: Initializer = nn.initializers.normal(0.02)
  impl: str = "fast"
  dtype: Any = None  # None: the inputs' and parameters' float32; bfloat16: computed in it

  @nn.compact
  def __call__(self, x):
    k = self.kernel_size
    kernel = self.param("kernel", self.kernel_init, (k, k, x.shape[-1], self.features))
    x, kernel = cast(self.dtype, x, kernel)
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
      y = y + cast(self.dtype, self.param("bias", torch_bias_init(self.features * k * k),
                                          (self.features,)))[0]
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
  dtype: Any = None  # None: the inputs' and parameters' float32; bfloat16: computed in it

  @nn.compact
  def __call__(self, x):
    k = self.kernel_size
    kernel = self.param("kernel", self.kernel_init, (k, k, x.shape[-1], self.features))
    x, kernel = cast(self.dtype, x, kernel)
    if self.impl not in IMPLS:
      raise ValueError(f"impl must be one of {IMPLS}, got {self.impl!r}")
    fast = self.impl == "fast"
    h, w = x.shape[1:3]
    if fast and self.padding == 0 and (h, w) == (k, k):
      # The window covers the whole map: one matmul.
      y = x.reshape(x.shape[0], -1) @ kernel.reshape(-1, self.features)
      y = y.reshape(x.shape[0], 1, 1, self.features)
    else:
      y = conv_reference(x, kernel, self.stride, self.padding)
    if self.use_bias:
      y = y + cast(self.dtype, self.param("bias", torch_bias_init(x.shape[-1] * k * k),
                                          (self.features,)))[0]
    return y
