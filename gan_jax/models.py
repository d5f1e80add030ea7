"""Generators and discriminators of the seeds' experiments (R0/R3), chosen by name.

Every generator maps ``z: (B, latent_dim)`` to images ``(B, S, S, C)`` in
[-1, 1]; every discriminator maps images to logits ``(B,)``.  Modules are pure:
parameters and batch statistics are passed in and returned by ``apply``.
"""

import math
from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from gan_jax import layers

BN_MOMENTUM = 0.9  # PyTorch momentum 0.1
BN_EPS = 1e-5


def _num_up(image_size: int) -> int:
  n = math.log2(image_size / 4)
  if image_size < 8 or n != int(n):
    raise ValueError(
        f"image_size must be 4 * 2**n with n >= 1 (8, 16, 32, 64, 128...), got {image_size}")
  return int(n)


def _batch_norm(train: bool, dcgan_init: bool, name=None):
  scale_init = ((lambda k, s, d=jnp.float32: 1.0 + 0.02 * jax.random.normal(k, s, d))
                if dcgan_init else nn.initializers.ones)
  return nn.BatchNorm(use_running_average=not train, momentum=BN_MOMENTUM,
                      epsilon=BN_EPS, scale_init=scale_init, name=name)


class DCGANGenerator(nn.Module):
  """z -> ConvT(k4 s1 p0) to 4x4, then k4 s2 p1 ConvT blocks doubling to S x S.

  At 32 pixels: 4h, 2h, h, C channels (1 -> 4 -> 8 -> 16 -> 32); every extra
  doubling of the image size adds one block at the front with twice the width.
  """
  latent_dim: int
  hidden: int
  channels: int
  image_size: int = 32
  impl: str = "fast"

  @nn.compact
  def __call__(self, z, train: bool = True):
    n = _num_up(self.image_size)
    x = z.reshape(z.shape[0], 1, 1, self.latent_dim)
    x = layers.ConvTranspose(self.hidden * 2 ** (n - 1), 4, 1, 0, impl=self.impl)(x)
    x = nn.relu(_batch_norm(train, True)(x))
    for i in range(n - 1, 0, -1):
      x = layers.ConvTranspose(self.hidden * 2 ** (i - 1), 4, 2, 1, impl=self.impl)(x)
      x = nn.relu(_batch_norm(train, True)(x))
    x = layers.ConvTranspose(self.channels, 4, 2, 1, impl=self.impl)(x)
    return jnp.tanh(x)


class DCGANDiscriminator(nn.Module):
  """Conv(h) LReLU -> [Conv(2^i h) BN LReLU]... -> Conv(1, k4 s1 p0) logits."""
  hidden: int
  image_size: int = 32
  impl: str = "fast"

  @nn.compact
  def __call__(self, x, train: bool = True):
    n = _num_up(self.image_size)
    x = layers.Conv(self.hidden, 4, 2, 1, impl=self.impl)(x)
    x = nn.leaky_relu(x, 0.2)
    for i in range(1, n):
      x = layers.Conv(self.hidden * 2 ** i, 4, 2, 1, impl=self.impl)(x)
      x = nn.leaky_relu(_batch_norm(train, True)(x), 0.2)
    x = layers.Conv(1, 4, 1, 0, impl=self.impl)(x)
    return x.reshape(x.shape[0])


class TorchDense(nn.Module):
  """``nn.Linear`` with PyTorch's default init: kernel and bias ~ U(+-1/sqrt(fan_in))."""
  features: int

  @nn.compact
  def __call__(self, x):
    fan_in = x.shape[-1]
    bound = 1.0 / math.sqrt(fan_in)
    kernel = self.param("kernel", nn.initializers.variance_scaling(1 / 3, "fan_in", "uniform"),
                        (fan_in, self.features))
    bias = self.param("bias", lambda k, s: jax.random.uniform(k, s, jnp.float32, -bound, bound),
                      (self.features,))
    return x @ kernel + bias


class MLPGenerator(nn.Module):
  """z -> Linear(4h) BN ReLU -> Linear(2h) BN ReLU -> Linear(h) BN ReLU -> Linear(C*S*S) tanh."""
  latent_dim: int
  hidden: int
  channels: int
  image_size: int = 32

  @nn.compact
  def __call__(self, z, train: bool = True):
    x = z
    for width in (4 * self.hidden, 2 * self.hidden, self.hidden):
      x = nn.relu(_batch_norm(train, False)(TorchDense(width)(x)))
    x = TorchDense(self.channels * self.image_size ** 2)(x)
    return jnp.tanh(x).reshape(z.shape[0], self.image_size, self.image_size, self.channels)


class MLPDiscriminator(nn.Module):
  """Linear(h) LReLU -> Linear(2h) Dropout LReLU -> Linear(4h) Dropout LReLU -> Linear(1)."""
  hidden: int
  dropout: float = 0.2

  @nn.compact
  def __call__(self, x, train: bool = True):
    x = x.reshape(x.shape[0], -1)
    x = nn.leaky_relu(TorchDense(self.hidden)(x), 0.2)
    for width in (2 * self.hidden, 4 * self.hidden):
      x = TorchDense(width)(x)
      x = nn.Dropout(self.dropout, deterministic=not train)(x)
      x = nn.leaky_relu(x, 0.2)
    return TorchDense(1)(x).reshape(x.shape[0])


def _dcgan(cfg, channels, image_size):
  return (DCGANGenerator(cfg.latent_dim, cfg.g_hidden, channels, image_size, impl=cfg.conv_impl),
          DCGANDiscriminator(cfg.d_hidden, image_size, impl=cfg.conv_impl))


def _mlp(cfg, channels, image_size):
  return (MLPGenerator(cfg.latent_dim, cfg.g_hidden, channels, image_size),
          MLPDiscriminator(cfg.d_hidden, cfg.dropout))


BACKBONES: dict[str, Callable] = {"dcgan": _dcgan, "mlp": _mlp}


def build(model_cfg: ml_collections.ConfigDict, channels: int, image_size: int):
  """Returns ``(generator, discriminator)`` for ``model_cfg.name``."""
  if model_cfg.name not in BACKBONES:
    raise ValueError(f"Unknown model.name {model_cfg.name!r}; choose one of {sorted(BACKBONES)}.")
  if model_cfg.conv_impl not in layers.IMPLS:
    raise ValueError(f"Unknown model.conv_impl {model_cfg.conv_impl!r}; choose one of {layers.IMPLS}.")
  return BACKBONES[model_cfg.name](model_cfg, channels, image_size)
