"""Pieces the backbones share: their registry (``MODELS``: model name -> ``build(model_cfg, *,
channels, image_size, condition, aux_classes)`` returning ``(generator, discriminator)``; a
model file registers itself, ``models/__init__`` imports it), PyTorch-initialised linear
layers and batch norm, and the compute dtype (``model.compute_dtype``)."""

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.models.layers import cast
from gan_jax.utils.registry import Registry, check_choice

MODELS = Registry("model.name")

BN_MOMENTUM = 0.9  # PyTorch momentum 0.1
BN_EPS = 1e-5
BN_SCALE_INITS = ("normal_002", "ones")
COMPUTE_DTYPES = ("float32", "bfloat16")


def compute_dtype(name: str):
  """``model.compute_dtype`` as the modules take it: ``None`` for float32 (no casts at all, so
  the default computes exactly what it always did), ``jnp.bfloat16`` for mixed precision:
  activations and convolutions in bfloat16, while parameters, optimizer state, batch-norm
  statistics (flax reduces them in float32), the networks' outputs and every loss stay
  float32."""
  check_choice("model.compute_dtype", name, COMPUTE_DTYPES)
  return None if name == "float32" else jnp.bfloat16


def to_float32(x, dtype):
  """A network's output back in float32 when it computed in ``dtype``."""
  return x if dtype is None else x.astype(jnp.float32)


def batch_norm(train: bool, scale_init: str, name=None, dtype=None):
  """BatchNorm with PyTorch's momentum and eps. ``scale_init``: ``normal_002`` (the DCGAN
  paper's N(1, 0.02)) or ``ones`` (PyTorch's default)."""
  if scale_init == "normal_002":
    init = lambda k, s, d=jnp.float32: 1.0 + 0.02 * jax.random.normal(k, s, d)  # noqa: E731
  elif scale_init == "ones":
    init = nn.initializers.ones
  else:
    check_choice("batch-norm scale init", scale_init, BN_SCALE_INITS)
  return nn.BatchNorm(use_running_average=not train, momentum=BN_MOMENTUM,
                      epsilon=BN_EPS, scale_init=init, name=name, dtype=dtype)


class TorchDense(nn.Module):
  """``nn.Linear`` with PyTorch's default init: kernel and bias ~ U(+-1/sqrt(fan_in))."""
  features: int
  dtype: Any = None

  @nn.compact
  def __call__(self, x):
    fan_in = x.shape[-1]
    bound = 1.0 / math.sqrt(fan_in)
    kernel = self.param("kernel", nn.initializers.variance_scaling(1 / 3, "fan_in", "uniform"),
                        (fan_in, self.features))
    bias = self.param("bias", lambda k, s: jax.random.uniform(k, s, jnp.float32, -bound, bound),
                      (self.features,))
    x, kernel, bias = cast(self.dtype, x, kernel, bias)
    return x @ kernel + bias
