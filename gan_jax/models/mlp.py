"""The MLP generator and discriminator of the DCGAN-vs-MLP MNIST study, optionally
conditional (label embedding beside z; at D, by ``model.d_label_input``: the label vector
beside the flattened image (``planes``), a fully connected map of it to one image-sized
vector (``dense_plane``), a projection on D's last hidden layer (``projection``), or nothing
(``none``, e.g. ACGAN's D, which predicts the label instead)).

G: z -> Linear(4h) BN ReLU -> Linear(2h) BN ReLU -> Linear(h) BN ReLU -> Linear(C*S*S) tanh.
D: Linear(h) LReLU -> Linear(2h) [Dropout] LReLU -> Linear(4h) [Dropout] LReLU -> Linear(1).
The study's two reports built different discriminators: the second's has dropout 0.2 and
slope 0.2 (``configs/mlp_mnist.py``); the first's has no dropout and slope 0.01
(``configs/mlp_mnist_plain_d.py``). PyTorch's default initialisation throughout.
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.models.common import (BN_SCALE_INITS, TorchDense, batch_norm, compute_dtype,
                                   to_float32)
from gan_jax.models.layers import cast
from gan_jax.models.conditioning import Condition, DHead, LabelEmbedding
from gan_jax.models.common import MODELS
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice


class MLPGenerator(nn.Module):
  latent_dim: int
  hidden: int
  channels: int
  image_size: int = 32
  bn_scale_init: str = "ones"
  condition: Condition = Condition()
  label_dim: int = 50
  label_bias: bool = False
  dtype: Any = None  # compute dtype (models.common.compute_dtype); the output is float32

  @nn.compact
  def __call__(self, z, y=None, train: bool = True):
    dt = self.dtype
    x = cast(dt, z)[0]
    if self.condition.active:
      e = LabelEmbedding(self.condition, self.label_dim, self.label_bias, dtype=dt)(y)
      x = jnp.concatenate([x, e], axis=-1)
    for width in (4 * self.hidden, 2 * self.hidden, self.hidden):
      x = nn.relu(batch_norm(train, self.bn_scale_init, dtype=dt)(TorchDense(width, dt)(x)))
    x = TorchDense(self.channels * self.image_size ** 2, dt)(x)
    x = to_float32(jnp.tanh(x), dt)
    return x.reshape(z.shape[0], self.image_size, self.image_size, self.channels)


class MLPDiscriminator(nn.Module):
  hidden: int
  dropout: float = 0.2
  slope: float = 0.2
  condition: Condition = Condition()
  label_input: str = "planes"
  aux_classes: int = 0
  dtype: Any = None  # compute dtype; the head and its logits are float32

  @nn.compact
  def __call__(self, x, y=None, train: bool = True):
    dt = self.dtype
    size = x.shape[1] * x.shape[2]
    x = cast(dt, x.reshape(x.shape[0], -1))[0]
    if self.condition.active and self.label_input == "planes":
      x = jnp.concatenate([x, self.condition.vector(y).astype(x.dtype)], axis=-1)
    elif self.condition.active and self.label_input == "dense_plane":
      x = jnp.concatenate([x, TorchDense(size, dt)(self.condition.vector(y))], axis=-1)
    x = nn.leaky_relu(TorchDense(self.hidden, dt)(x), self.slope)
    for width in (2 * self.hidden, 4 * self.hidden):
      x = TorchDense(width, dt)(x)
      if self.dropout > 0:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
      x = nn.leaky_relu(x, self.slope)
    return DHead(self.condition, self.label_input, self.aux_classes)(
        x, TorchDense(1, dt)(x).reshape(x.shape[0]), y)


@MODELS.register("mlp")
def build(cfg, *, channels: int, image_size: int, condition: Condition, aux_classes: int = 0):
  """Fully connected G and D (the DCGAN-vs-MLP MNIST study's MLP GAN).

  ``cfg`` is ``config.model``; its own fields are under ``cfg.mlp``."""
  own = cfg.mlp
  check_choice("model.mlp.bn_scale_init", own.bn_scale_init, BN_SCALE_INITS)
  if not 0 <= own.d_dropout < 1:
    raise ConfigError(f"model.mlp.d_dropout must be in [0, 1), got {own.d_dropout}.")
  dtype = compute_dtype(cfg.compute_dtype)
  g = MLPGenerator(cfg.latent_dim, cfg.g_hidden, channels, image_size,
                   bn_scale_init=own.bn_scale_init, condition=condition, label_dim=cfg.g_label_dim,
                   label_bias=cfg.g_label_bias, dtype=dtype)
  d = MLPDiscriminator(cfg.d_hidden, own.d_dropout, own.d_slope, condition=condition,
                       label_input=cfg.d_label_input, aux_classes=aux_classes, dtype=dtype)
  return g, d
