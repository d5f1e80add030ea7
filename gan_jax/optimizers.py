"""Optimizers by kind (``<net>_optimizer.name``), each with its own block of fields.

``lr`` is common; ``adam.{b1, b2, eps}``, ``rmsprop.{decay, eps, momentum, centered}`` and
``sgd.{momentum, nesterov}`` belong to their kind. RMSProp follows PyTorch's ``RMSprop``
exactly (the WGAN papers' and their PyTorch ports' optimizer): v = a v + (1 - a) g^2,
update = -lr g / (sqrt(v) + eps), eps OUTSIDE the square root, v starting at 0.
"""

import optax

from gan_jax.errors import ConfigError
from gan_jax.registry import Registry

OPTIMIZERS = Registry("optimizer name")


@OPTIMIZERS.register("adam")
def _adam(lr, cfg):
  return optax.adam(lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps)


@OPTIMIZERS.register("rmsprop")
def _rmsprop(lr, cfg):
  return optax.rmsprop(lr, decay=cfg.decay, eps=cfg.eps, eps_in_sqrt=False, initial_scale=0.0,
                       centered=cfg.centered, momentum=cfg.momentum or None)


@OPTIMIZERS.register("sgd")
def _sgd(lr, cfg):
  return optax.sgd(lr, momentum=cfg.momentum or None, nesterov=cfg.nesterov)


def make(opt_cfg, field: str = "optimizer") -> optax.GradientTransformation:
  """The optimizer of a ``<net>_optimizer`` block; ``field`` names it in errors."""
  factory = OPTIMIZERS.get(opt_cfg.name, f"{field}.name")
  if not opt_cfg.lr > 0:
    raise ConfigError(f"{field}.lr must be > 0, got {opt_cfg.lr}.")
  return factory(opt_cfg.lr, opt_cfg[opt_cfg.name])
