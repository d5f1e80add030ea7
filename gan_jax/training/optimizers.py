"""Optimizers by kind (``<net>_optimizer.name``), each with its own block of fields.

``lr`` is common; ``adam.{b1, b2, eps}``, ``rmsprop.{decay, eps, momentum, centered}`` and
``sgd.{momentum, nesterov}`` belong to their kind. RMSProp follows PyTorch's ``RMSprop``
exactly (the WGAN papers' and their PyTorch ports' optimizer): v = a v + (1 - a) g^2,
update = -lr g / (sqrt(v) + eps), eps OUTSIDE the square root, v starting at 0.

``schedule``: ``constant`` (the default) or ``linear``, the learning rate decaying linearly
from ``lr`` at the first update to ``final_scale`` x ``lr`` at the run's last step
(``num_train_steps`` x this optimizer's updates per step), as the BigGAN / SNGAN ports and
Lucic et al.'s study decay it; the count is this optimizer's own (in its state, so a resumed
run continues the same schedule), and past the end it stays at ``final_scale`` x ``lr``.
"""

import optax
import optax.contrib

from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import Registry, check_choice

OPTIMIZERS = Registry("optimizer name")


@OPTIMIZERS.register("adam")
def _adam(lr, cfg):
  """Adam (b1, b2, eps)."""
  return optax.adam(lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps)


@OPTIMIZERS.register("rmsprop")
def _rmsprop(lr, cfg):
  """RMSProp as PyTorch's (decay, eps outside the root, centred, momentum)."""
  return optax.rmsprop(lr, decay=cfg.decay, eps=cfg.eps, eps_in_sqrt=False, initial_scale=0.0,
                       centered=cfg.centered, momentum=cfg.momentum or None)


@OPTIMIZERS.register("sgd")
def _sgd(lr, cfg):
  """SGD (momentum, Nesterov)."""
  return optax.sgd(lr, momentum=cfg.momentum or None, nesterov=cfg.nesterov)


SCHEDULES = ("constant", "linear")


def learning_rate(opt_cfg, field: str, num_updates: int):
  """The block's learning rate: a float, or an optax schedule of the update count."""
  check_choice(f"{field}.schedule", opt_cfg.schedule, SCHEDULES)
  if opt_cfg.schedule == "constant":
    return opt_cfg.lr
  if not 0 <= opt_cfg.final_scale <= 1:
    raise ConfigError(f"{field}.final_scale must be in [0, 1], got {opt_cfg.final_scale}.")
  return optax.linear_schedule(opt_cfg.lr, opt_cfg.lr * opt_cfg.final_scale,
                               max(1, num_updates))


def make(opt_cfg, field: str = "optimizer", plateau=None, updates_per_step: int = 1,
         num_steps: int = 0) -> optax.GradientTransformation:
  """The optimizer of a ``<net>_optimizer`` block; ``field`` names it in errors.

  ``plateau`` (the ``lr_plateau`` block, when its ``metric`` is set) chains optax's
  ``reduce_on_plateau``: the metric is averaged over ``window`` training steps
  (``updates_per_step`` updates of this optimizer each); after ``patience`` windows without
  an improvement (by ``rtol``) the learning rate is multiplied by ``factor``, never below
  ``min_scale`` times the configured one. Its state is part of the optimizer state, so it is
  checkpointed and a resumed run continues the same schedule."""
  factory = OPTIMIZERS.get(opt_cfg.name, f"{field}.name")
  if not opt_cfg.lr > 0:
    raise ConfigError(f"{field}.lr must be > 0, got {opt_cfg.lr}.")
  tx = factory(learning_rate(opt_cfg, field, num_steps * updates_per_step),
               opt_cfg[opt_cfg.name])
  if plateau is None or not plateau.metric:
    return tx
  if not (0 < plateau.factor < 1 and plateau.window > 0 and plateau.patience > 0
          and 0 < plateau.min_scale <= 1 and plateau.rtol > 0):
    raise ConfigError("lr_plateau needs 0 < factor < 1, window > 0, patience > 0, "
                      f"0 < min_scale <= 1 and rtol > 0; got {plateau.to_dict()}.")
  return optax.chain(tx, optax.contrib.reduce_on_plateau(
      factor=plateau.factor, patience=plateau.patience, rtol=plateau.rtol, atol=0.0,
      cooldown=plateau.cooldown, accumulation_size=plateau.window * updates_per_step,
      min_scale=plateau.min_scale))
