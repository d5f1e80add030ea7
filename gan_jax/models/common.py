"""Pieces the backbones share: their registry (``MODELS``: model name -> ``build(model_cfg, *,
channels, image_size, condition, aux_classes)`` returning ``(generator, discriminator)``; a
model file registers itself, ``models/__init__`` imports it), PyTorch-initialised linear
layers and batch norm."""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.utils.registry import Registry, check_choice

MODELS = Registry("model.name")

BN_MOMENTUM = 0.9  # PyTorch momentum 0.1
BN_EPS = 1e-5
BN_SCALE_INITS = ("normal_002", "ones")


def batch_norm(train: bool, scale_init: str, name=None):
  """BatchNorm with PyTorch's momentum and eps. ``scale_init``: ``normal_002`` (the DCGAN
  paper's N(1, 0.02)) or ``ones`` (PyTorch's default)."""
  if scale_init == "normal_002":
    init = lambda k, s, d=jnp.float32: 1.0 + 0.02 * jax.random.normal(k, s, d)  # noqa: E731
  elif scale_init == "ones":
    init = nn.initializers.ones
  else:
    check_choice("batch-norm scale init", scale_init, BN_SCALE_INITS)
  return nn.BatchNorm(use_running_average=not train, momentum=BN_MOMENTUM,
                      epsilon=BN_EPS, scale_init=init, name=name)


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
