"""BEGAN's networks (Berthelot et al. 2017), as the paper and carpedm20/BEGAN-tensorflow
build them: 3x3 convolutions with ELU, no batch norm, a linear bottleneck.

Decoder (G, and the second half of D), n = ``filters``, S = image size:
  h -> Dense(8*8*n) -> 8x8xn -> [Conv3(n) ELU, Conv3(n) ELU, up x2] ... -> Conv3(n) ELU,
  Conv3(n) ELU -> Conv3(C) (linear output, no tanh: the out-of-bound penalty keeps it in
  range if asked; clipped to [-1, 1] in inference mode), log2(S/8) up-samplings (nearest as
  the paper, or bilinear).
Encoder (first half of D):
  x -> Conv3(n) ELU -> for stage i = 1..r: [Conv3(n*i) ELU, Conv3(n*i) ELU, down x2 to
  n*(i+1) channels] (the last stage without the down-sampling) -> Dense(code_dim), linear.
Down-sampling is a stride-2 3x3 convolution (``conv``, the paper) or a bilinear resize
followed by a 1x1 convolution (``bilinear``, the conditional-BEGAN report).
D returns ``DOutput(logits=-L1 error per image, reconstruction=D(x), target=x)``: the logits
are the negated per-example reconstruction error, so "higher = more real" holds as for other
discriminators, and ``target`` is the image D was given (after DiffAugment, when on), which
the objective compares the reconstruction with.

Conditional (the conditional-BEGAN report): a learned embedding of the condition
(``model.g_label_dim`` wide; the report: 16) beside z at G's input, followed by a fully
connected layer back to z's width (``condition_fc``) before the decoder; in D, the embedding
beside the code at the bottleneck, followed by a fully connected layer back to ``code_dim``
(``condition_fc``) before the decoder. G and D learn their own embeddings.
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.models import layers
from gan_jax.models.conditioning import Condition, DOutput, LabelEmbedding
from gan_jax.models import dcgan
from gan_jax.models.dcgan import downsample2x, upsample2x
from gan_jax.models.common import MODELS, compute_dtype, to_float32
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice

UPSAMPLES = ("nearest", "bilinear")
DOWNSAMPLES = ("conv", "bilinear")
GENERATORS = ("decoder", "dcgan")
DISCRIMINATORS = ("paper", "strided")
_INIT = nn.initializers.variance_scaling(1.0, "fan_avg", "uniform")  # TF's xavier (the port)
_NORMAL = nn.initializers.normal(0.02)


def num_stages(image_size: int) -> int:
  n = (image_size // 8).bit_length() - 1
  if image_size < 8 or 8 * 2 ** n != image_size:
    raise ConfigError(f"data.image_size must be 8 * 2**n (8, 16, 32, 64, 128...) for the "
                      f"began model, got {image_size}.")
  return n + 1


def _conv(features, stride=1, k=3, dtype=None):
  pad = (k - 1) // 2
  return layers.Conv(features, k, stride, pad, use_bias=True, kernel_init=_INIT,
                     impl="reference", dtype=dtype)


def _bottleneck(h, y, code_dim, condition, label_dim, init, dt):
  """D's linear code of the features ``h`` (called inside a compact ``__call__``: its layers
  are the caller's): ``(code the decoder reads, code as encoded)``; conditional models
  embed the label beside the code, followed by a fully connected layer back to code_dim."""
  code = nn.Dense(code_dim, kernel_init=init, dtype=dt)(h.reshape(h.shape[0], -1))
  encoded = to_float32(code, dt)
  if condition.active:
    e = LabelEmbedding(condition, label_dim, dtype=dt)(y)
    code = nn.Dense(code_dim, kernel_init=init, name="condition_fc", dtype=dt)(
        jnp.concatenate([code, e], axis=-1))
  return code, encoded


def _reconstructed(x, rec, encoded) -> DOutput:
  """An autoencoder D's output: logits = -mean |x - D(x)| per image (no gradient: the
  objective differentiates the reconstruction), the reconstruction, its target and code."""
  err = jnp.mean(jnp.abs(rec - x).reshape(x.shape[0], -1), axis=-1)
  return DOutput(logits=-jax.lax.stop_gradient(err), reconstruction=rec, target=x,
                 code=encoded)


class Decoder(nn.Module):
  filters: int
  channels: int
  image_size: int
  upsample: str = "nearest"
  dtype: Any = None

  @nn.compact
  def __call__(self, h):
    r = num_stages(self.image_size)
    n, dt = self.filters, self.dtype
    x = nn.Dense(8 * 8 * n, kernel_init=_INIT, dtype=dt)(h).reshape(h.shape[0], 8, 8, n)
    for i in range(r):
      x = nn.elu(_conv(n, dtype=dt)(x))
      x = nn.elu(_conv(n, dtype=dt)(x))
      if i < r - 1:
        x = upsample2x(x, self.upsample)
    return to_float32(_conv(self.channels, dtype=dt)(x), dt)


class BEGANGenerator(nn.Module):
  filters: int
  channels: int
  image_size: int
  upsample: str = "nearest"
  condition: Condition = Condition()
  label_dim: int = 16
  dtype: Any = None  # compute dtype (models.common.compute_dtype); the output is float32

  @nn.compact
  def __call__(self, z, y=None, train: bool = True):
    """Training: the decoder's linear output (the out-of-bound penalty sees it whole);
    inference (samples, grids, evaluation): clipped to the pixel range [-1, 1], as the
    paper's ports do when they save images."""
    dt = self.dtype
    z = layers.cast(dt, z)[0]
    if self.condition.active:
      e = LabelEmbedding(self.condition, self.label_dim, dtype=dt)(y)
      z = nn.Dense(z.shape[-1], kernel_init=_INIT, name="condition_fc", dtype=dt)(
          jnp.concatenate([z, e], axis=-1))
    x = Decoder(self.filters, self.channels, self.image_size, self.upsample, dtype=dt)(z)
    return x if train else jnp.clip(x, -1.0, 1.0)


class BEGANDiscriminator(nn.Module):
  filters: int
  code_dim: int
  channels: int
  image_size: int
  upsample: str = "nearest"
  downsample: str = "conv"
  condition: Condition = Condition()
  label_dim: int = 16
  dtype: Any = None  # compute dtype; the reconstruction and its error are float32

  @nn.compact
  def __call__(self, x, y=None, train: bool = True):
    del train
    r = num_stages(self.image_size)
    n, dt = self.filters, self.dtype
    h = nn.elu(_conv(n, dtype=dt)(layers.cast(dt, x)[0]))
    for i in range(1, r + 1):
      h = nn.elu(_conv(n * i, dtype=dt)(h))
      h = nn.elu(_conv(n * i, dtype=dt)(h))
      if i < r:
        if self.downsample == "conv":
          h = nn.elu(_conv(n * (i + 1), stride=2, dtype=dt)(h))
        else:
          h = nn.elu(_conv(n * (i + 1), k=1, dtype=dt)(downsample2x(h, "bilinear")))
    code, encoded = _bottleneck(h, y, self.code_dim, self.condition, self.label_dim, _INIT, dt)
    rec = Decoder(n, self.channels, self.image_size, self.upsample, dtype=dt)(code)
    return _reconstructed(x, rec, encoded)


class StridedAutoencoder(nn.Module):
  """Lucic et al. 2018's BEGAN discriminator (compare_gan's): x -> Conv(h, k4 s2) LReLU ->
  Conv(2h, k4 s2) LReLU -> Dense(code_dim) -> LReLU -> Dense(2h * S/4 * S/4) LReLU ->
  ConvT(h, k4 s2) LReLU -> ConvT(C, k4 s2) -> tanh (their sigmoid, for pixels in [-1, 1]);
  biases everywhere, no normalisation (each image's error stays its own), N(0, 0.02) kernels."""
  hidden: int
  code_dim: int
  channels: int
  image_size: int
  condition: Condition = Condition()
  label_dim: int = 16
  dtype: Any = None

  @nn.compact
  def __call__(self, x, y=None, train: bool = True):
    del train
    h2, s, dt = 2 * self.hidden, self.image_size // 4, self.dtype
    lrelu = lambda v: nn.leaky_relu(v, 0.2)  # noqa: E731
    h = lrelu(layers.Conv(self.hidden, 4, 2, 1, use_bias=True, dtype=dt)(layers.cast(dt, x)[0]))
    h = lrelu(layers.Conv(h2, 4, 2, 1, use_bias=True, dtype=dt)(h))
    code, encoded = _bottleneck(h, y, self.code_dim, self.condition, self.label_dim, _NORMAL,
                                dt)
    h = lrelu(nn.Dense(h2 * s * s, kernel_init=_NORMAL, dtype=dt)(lrelu(code)))
    h = lrelu(layers.ConvTranspose(self.hidden, 4, 2, 1, use_bias=True, dtype=dt)(
        h.reshape(h.shape[0], s, s, h2)))
    rec = to_float32(jnp.tanh(layers.ConvTranspose(self.channels, 4, 2, 1, use_bias=True,
                                                   dtype=dt)(h)), dt)
    return _reconstructed(x, rec, encoded)


@MODELS.register("began")
def build(cfg, *, channels: int, image_size: int, condition: Condition, aux_classes: int = 0):
  """BEGAN (Berthelot et al. 2017): an autoencoder D and a decoder G.

  ``cfg`` is ``config.model``; its own fields are under ``cfg.began``. The paper's networks
  (``generator='decoder'``, ``discriminator='paper'``) both have ``began.filters``; the DCGAN
  generator (``generator='dcgan'``: batch norm, tanh; ``g_hidden`` and ``dcgan.*``) and the
  strided autoencoder (``discriminator='strided'``: ``d_hidden``) are Lucic et al. 2018's
  BEGAN networks. Conditional models embed the label in ``g_label_dim`` dimensions."""
  own = cfg.began
  if aux_classes:
    raise ConfigError("model.name='began' has no auxiliary classifier: set loss.acgan.weight=0.")
  if condition.active and cfg.g_label_dim < 1:
    raise ConfigError("a conditional began model needs model.g_label_dim >= 1 (the report: 16).")
  check_choice("model.began.upsample", own.upsample, UPSAMPLES)
  check_choice("model.began.downsample", own.downsample, DOWNSAMPLES)
  check_choice("model.began.generator", own.generator, GENERATORS)
  check_choice("model.began.discriminator", own.discriminator, DISCRIMINATORS)
  if own.filters < 1 or own.code_dim < 1:
    raise ConfigError(f"model.began.filters and code_dim must be >= 1, got {own.filters} and "
                      f"{own.code_dim}.")
  dtype = compute_dtype(cfg.compute_dtype)
  if own.generator == "dcgan":
    g = dcgan.generator(cfg, channels=channels, image_size=image_size, condition=condition)
  else:
    num_stages(image_size)
    g = BEGANGenerator(own.filters, channels, image_size, own.upsample, condition,
                       cfg.g_label_dim, dtype=dtype)
  if own.discriminator == "strided":
    if image_size % 4:
      raise ConfigError(f"model.began.discriminator='strided' needs data.image_size divisible "
                        f"by 4, got {image_size}.")
    d = StridedAutoencoder(cfg.d_hidden, own.code_dim, channels, image_size, condition,
                           cfg.g_label_dim, dtype=dtype)
  else:
    num_stages(image_size)
    d = BEGANDiscriminator(own.filters, own.code_dim, channels, image_size, own.upsample,
                           own.downsample, condition, cfg.g_label_dim, dtype=dtype)
  return g, d
