"""The DCGAN generator and discriminator (the DCGAN-vs-MLP MNIST study's CNN), optionally
class- or tag-conditional.

G: z (+ label embedding) -> ConvT(k4 s1 p0) to 4x4, then k4 s2 p1 ConvT blocks doubling
to S x S (at 32 px: 4h, 2h, h, C channels). D: (image + label planes) -> Conv(h) LReLU ->
[Conv(2^i h) BN LReLU]... -> Conv(1, k4 s1 p0), then ``DHead`` (projection of the label,
auxiliary classifier) on the flattened last hidden features. Weights N(0, 0.02); batch-norm scale as
``bn_scale_init``; convolution biases (PyTorch's default init) switchable per network.

Up-sampling (the CelebA upsampling/WGAN study), ``upsample``:
* ``transposed``: each doubling is a k4 s2 p1 transposed convolution (DCGAN);
* ``nearest`` / ``bilinear``: each doubling is a x2 resize (nearest neighbour, or bilinear
  with half-pixel centres as PyTorch's ``Upsample(align_corners=False)``) followed by a
  k3 s1 p1 convolution (Odena et al. 2016, "Deconvolution and checkerboard artifacts").
The discriminator's down-sampling, ``d_downsample``, is its own choice: ``mirror`` (the
default) mirrors G's, ``strided`` / ``nearest`` / ``bilinear`` fix it whatever G does (the
CelebA study compares G's up-samplings against one discriminator). Each halving is a k4 s2
p1 convolution for ``strided`` (G ``transposed``'s mirror), and for the resize variants a
k3 s1 p1 convolution followed by the adjoint of the resize: 2x2 average pooling for ``nearest`` (nearest up-sampling's transpose, up to
a factor 4), antialiased linear down-sampling for ``bilinear`` (a 4-tap triangle filter:
bilinear up-sampling's transpose, up to a factor 4). The 1x1 -> 4x4 projection of G and
D's last 4x4 -> 1x1 convolution are the same in all variants.

``d_norm``: D's normalisation after each hidden convolution but the first (``batch``,
``layer`` over H, W, C as in WGAN-GP, or ``none``; ``d_first_norm`` after the first too, as
the i-CLEVR conditional-DCGAN report's D); ``d_last_bias``: a bias in D's last convolution
only (that report); ``d_spectral_norm`` wraps every D convolution in
spectral normalisation (Miyato et al. 2018; one power iteration per step, its vectors in
``batch_stats``).
"""

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.models import layers
from gan_jax.models.common import BN_SCALE_INITS, batch_norm, compute_dtype, to_float32
from gan_jax.models.conditioning import Condition, DHead, LabelEmbedding, LabelPlanes
from gan_jax.models.common import MODELS
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice


def num_upsamplings(image_size: int) -> int:
  n = math.log2(image_size / 4)
  if image_size < 8 or n != int(n):
    raise ConfigError(
        f"data.image_size must be 4 * 2**n with n >= 1 (8, 16, 32, 64, 128...) for this model, "
        f"got {image_size}.")
  return int(n)


UPSAMPLES = ("transposed", "nearest", "bilinear")
D_DOWNSAMPLES = ("mirror", "strided", "nearest", "bilinear")
MIRRORED_DOWNSAMPLE = {"transposed": "strided", "nearest": "nearest", "bilinear": "bilinear"}
D_NORMS = ("batch", "layer", "none")


def upsample2x(x, method: str):
  b, h, w, c = x.shape
  if method == "nearest":
    return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
  return jax.image.resize(x, (b, 2 * h, 2 * w, c), "bilinear", antialias=False)


def downsample2x(x, method: str):
  b, h, w, c = x.shape
  if method == "nearest":
    return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))
  return jax.image.resize(x, (b, h // 2, w // 2, c), "linear", antialias=True)


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
  upsample: str = "transposed"
  label_bias: bool = False
  dtype: Any = None  # compute dtype (models.common.compute_dtype); the output is float32

  @nn.compact
  def __call__(self, z, y=None, train: bool = True):
    n = num_upsamplings(self.image_size)
    dt = self.dtype
    z = layers.cast(dt, z)[0]
    if self.condition.active:
      e = LabelEmbedding(self.condition, self.label_dim, self.label_bias, dtype=dt)(y)
      z = jnp.concatenate([z, e], axis=-1)
    x = z.reshape(z.shape[0], 1, 1, z.shape[-1])
    def double(x, features):
      if self.upsample == "transposed":
        return layers.ConvTranspose(features, 4, 2, 1, impl=self.impl, use_bias=self.use_bias,
                                    dtype=dt)(x)
      x = upsample2x(x, self.upsample)
      return layers.Conv(features, 3, 1, 1, impl=self.impl, use_bias=self.use_bias, dtype=dt)(x)

    x = layers.ConvTranspose(self.hidden * 2 ** (n - 1), 4, 1, 0, impl=self.impl,
                             use_bias=self.use_bias, dtype=dt)(x)
    x = nn.relu(batch_norm(train, self.bn_scale_init, dtype=dt)(x))
    for i in range(n - 1, 0, -1):
      x = double(x, self.hidden * 2 ** (i - 1))
      x = nn.relu(batch_norm(train, self.bn_scale_init, dtype=dt)(x))
    return to_float32(jnp.tanh(double(x, self.channels)), dt)


class DCGANDiscriminator(nn.Module):
  hidden: int
  image_size: int = 32
  impl: str = "fast"
  use_bias: bool = False
  bn_scale_init: str = "normal_002"
  slope: float = 0.2
  condition: Condition = Condition()
  label_input: str = "planes"
  downsample: str = "strided"
  norm: str = "batch"
  spectral_norm: bool = False
  first_norm: bool = False  # normalise after the first convolution too
  last_bias: bool = False   # a bias in the last convolution (whatever use_bias says)
  aux_classes: int = 0
  dtype: Any = None  # compute dtype; the head and its logits are float32

  @nn.compact
  def __call__(self, x, y=None, train: bool = True):
    n = num_upsamplings(self.image_size)
    dt = self.dtype
    x = layers.cast(dt, x)[0]
    if self.condition.active:
      x = LabelPlanes(self.condition, self.label_input, dtype=dt)(x, y)

    def conv(x, features, k, s, p, use_bias=self.use_bias):
      layer = layers.Conv(features, k, s, p, impl=self.impl, use_bias=use_bias, dtype=dt)
      if self.spectral_norm:
        return nn.SpectralNorm(layer)(x, update_stats=train)
      return layer(x)

    def halve(x, features):
      if self.downsample == "strided":
        return conv(x, features, 4, 2, 1)
      return downsample2x(conv(x, features, 3, 1, 1), self.downsample)

    def norm(x):
      if self.norm == "batch":
        return batch_norm(train, self.bn_scale_init, dtype=dt)(x)
      if self.norm == "layer":
        return nn.LayerNorm(reduction_axes=(-3, -2, -1), feature_axes=-1, dtype=dt)(x)
      return x

    x = halve(x, self.hidden)
    x = nn.leaky_relu(norm(x) if self.first_norm else x, self.slope)
    for i in range(1, n):
      x = nn.leaky_relu(norm(halve(x, self.hidden * 2 ** i)), self.slope)
    logits = conv(x, 1, 4, 1, 0, use_bias=self.use_bias or self.last_bias)
    return DHead(self.condition, self.label_input, self.aux_classes, self.spectral_norm)(
        x.reshape(x.shape[0], -1), logits.reshape(x.shape[0]), y, train)


def generator(cfg, *, channels: int, image_size: int, condition: Condition) -> DCGANGenerator:
  """The DCGAN generator of ``config.model`` (``g_hidden``, ``dcgan.*``), alone: the dcgan
  model's G, and the began model's with ``began.generator='dcgan'``."""
  own = cfg.dcgan
  check_choice("model.dcgan.bn_scale_init", own.bn_scale_init, BN_SCALE_INITS)
  check_choice("model.dcgan.conv_impl", own.conv_impl, layers.IMPLS)
  check_choice("model.dcgan.upsample", own.upsample, UPSAMPLES)
  num_upsamplings(image_size)
  return DCGANGenerator(cfg.latent_dim, cfg.g_hidden, channels, image_size, impl=own.conv_impl,
                        use_bias=own.g_bias, bn_scale_init=own.bn_scale_init,
                        condition=condition, label_dim=cfg.g_label_dim, upsample=own.upsample,
                        label_bias=cfg.g_label_bias, dtype=compute_dtype(cfg.compute_dtype))


@MODELS.register("dcgan")
def build(cfg, *, channels: int, image_size: int, condition: Condition, aux_classes: int = 0):
  """DCGAN (Radford et al. 2016): transposed-convolution G, strided-convolution D.

  ``cfg`` is ``config.model``; its own fields are under ``cfg.dcgan``."""
  own = cfg.dcgan
  g = generator(cfg, channels=channels, image_size=image_size, condition=condition)
  check_choice("model.dcgan.d_norm", own.d_norm, D_NORMS)
  check_choice("model.dcgan.d_downsample", own.d_downsample, D_DOWNSAMPLES)
  downsample = (MIRRORED_DOWNSAMPLE[own.upsample] if own.d_downsample == "mirror"
                else own.d_downsample)
  dtype = compute_dtype(cfg.compute_dtype)
  d = DCGANDiscriminator(cfg.d_hidden, image_size, impl=own.conv_impl, use_bias=own.d_bias,
                         bn_scale_init=own.bn_scale_init, slope=own.d_slope, condition=condition,
                         label_input=cfg.d_label_input, downsample=downsample, norm=own.d_norm,
                         spectral_norm=own.d_spectral_norm, first_norm=own.d_first_norm,
                         last_bias=own.d_last_bias, aux_classes=aux_classes, dtype=dtype)
  return g, d
