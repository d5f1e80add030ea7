"""The DCGAN generator and discriminator (the DCGAN-vs-MLP MNIST study's CNN), optionally
class- or tag-conditional.

G: z (+ label embedding) -> ConvT(k4 s1 p0) to 4x4, then k4 s2 p1 ConvT blocks doubling
to S x S (at 32 px: 4h, 2h, h, C channels). D: (image + label planes) -> Conv(h) LReLU ->
[Conv(2^i h) BN LReLU]... -> Conv(1, k4 s1 p0). Weights N(0, 0.02); batch-norm scale as
``bn_scale_init``; convolution biases (PyTorch's default init) switchable per network.
"""

import math

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.errors import ConfigError
from gan_jax.models import layers
from gan_jax.registry import check_choice
from gan_jax.models.common import BN_SCALE_INITS, batch_norm
from gan_jax.models.conditioning import Condition, DOutput, LabelEmbedding, LabelPlanes
from gan_jax.models.registry import MODELS


def num_upsamplings(image_size: int) -> int:
  n = math.log2(image_size / 4)
  if image_size < 8 or n != int(n):
    raise ConfigError(
        f"data.image_size must be 4 * 2**n with n >= 1 (8, 16, 32, 64, 128...) for this model, "
        f"got {image_size}.")
  return int(n)


class DCGANGenerator(nn.Module):
  latent_dim: int
  hidden: int
  channels: int
  image_size: int = 32
  impl: str = "fast"
  use_bias: bool = False
  bn_scale_init: str = "normal_002"
  condition: Condition = Condition()
  label_dim: int = 50

  @nn.compact
  def __call__(self, z, y=None, train: bool = True):
    n = num_upsamplings(self.image_size)
    if self.condition.active:
      z = jnp.concatenate([z, LabelEmbedding(self.condition, self.label_dim)(y)], axis=-1)
    x = z.reshape(z.shape[0], 1, 1, z.shape[-1])
    conv_t = lambda f, s, p: layers.ConvTranspose(f, 4, s, p, impl=self.impl,  # noqa: E731
                                                  use_bias=self.use_bias)
    x = conv_t(self.hidden * 2 ** (n - 1), 1, 0)(x)
    x = nn.relu(batch_norm(train, self.bn_scale_init)(x))
    for i in range(n - 1, 0, -1):
      x = conv_t(self.hidden * 2 ** (i - 1), 2, 1)(x)
      x = nn.relu(batch_norm(train, self.bn_scale_init)(x))
    x = conv_t(self.channels, 2, 1)(x)
    return jnp.tanh(x)


class DCGANDiscriminator(nn.Module):
  hidden: int
  image_size: int = 32
  impl: str = "fast"
  use_bias: bool = False
  bn_scale_init: str = "normal_002"
  slope: float = 0.2
  condition: Condition = Condition()
  label_input: str = "planes"

  @nn.compact
  def __call__(self, x, y=None, train: bool = True):
    n = num_upsamplings(self.image_size)
    if self.condition.active:
      x = LabelPlanes(self.condition, self.label_input)(x, y)
    conv = lambda f, s, p: layers.Conv(f, 4, s, p, impl=self.impl,  # noqa: E731
                                       use_bias=self.use_bias)
    x = nn.leaky_relu(conv(self.hidden, 2, 1)(x), self.slope)
    for i in range(1, n):
      x = conv(self.hidden * 2 ** i, 2, 1)(x)
      x = nn.leaky_relu(batch_norm(train, self.bn_scale_init)(x), self.slope)
    x = conv(1, 1, 0)(x)
    return DOutput(logits=x.reshape(x.shape[0]))


@MODELS.register("dcgan")
def build(cfg, *, channels: int, image_size: int, condition: Condition):
  """``cfg`` is ``config.model``; its own fields are under ``cfg.dcgan``."""
  own = cfg.dcgan
  check_choice("model.dcgan.bn_scale_init", own.bn_scale_init, BN_SCALE_INITS)
  check_choice("model.dcgan.conv_impl", own.conv_impl, layers.IMPLS)
  num_upsamplings(image_size)
  g = DCGANGenerator(cfg.latent_dim, cfg.g_hidden, channels, image_size, impl=own.conv_impl,
                     use_bias=own.g_bias, bn_scale_init=own.bn_scale_init, condition=condition,
                     label_dim=cfg.g_label_dim)
  d = DCGANDiscriminator(cfg.d_hidden, image_size, impl=own.conv_impl, use_bias=own.d_bias,
                         bn_scale_init=own.bn_scale_init, slope=own.d_slope, condition=condition,
                         label_input=cfg.d_label_input)
  return g, d
