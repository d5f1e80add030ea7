"""GAN objectives by name (``config.loss.name``); hyper-parameters from ``config.loss.<name>``;
what any objective can carry: ``loss.r1_gamma`` (R1 on real images), ``loss.out_of_bound``
(generator outputs outside [-1, 1]) and ``loss.acgan`` (an auxiliary classifier's loss)."""

import dataclasses

from gan_jax.losses import acgan, began, penalties, standard, wgan  # noqa: F401  (register the objectives)
from gan_jax.losses.base import OBJECTIVES, GANInputs, Objective  # noqa: F401
from gan_jax.utils.errors import ConfigError


def with_penalties(objective: Objective, r1_gamma: float = 0.0,
                   out_of_bound: float = 0.0) -> Objective:
  """Adds gamma/2 * R1 to the discriminator's loss and ``out_of_bound`` * the out-of-bound
  penalty to the generator's (metrics ``r1``, ``out_of_bound``)."""
  if r1_gamma < 0 or out_of_bound < 0:
    raise ConfigError(f"loss.r1_gamma and loss.out_of_bound must be >= 0, got {r1_gamma} "
                      f"and {out_of_bound}.")
  d_loss, g_loss = objective.d_loss, objective.g_loss
  if r1_gamma > 0:
    def d_loss(real_out, fake_out, inputs, state, _inner=objective.d_loss):
      value, metrics = _inner(real_out, fake_out, inputs, state)
      r1 = penalties.r1_penalty(inputs.critic, inputs.real, inputs.real_labels)
      return value + 0.5 * r1_gamma * r1, dict(metrics, r1=r1)
  if out_of_bound > 0:
    def g_loss(fake_out, inputs, state, _inner=objective.g_loss):
      value, metrics = _inner(fake_out, inputs, state)
      oob = penalties.out_of_bound_penalty(inputs.fake)
      return value + out_of_bound * oob, dict(metrics, out_of_bound=oob)
  return dataclasses.replace(objective, d_loss=d_loss, g_loss=g_loss)


def build(loss_cfg) -> Objective:
  """The objective ``loss_cfg.name`` with the hyper-parameters of its block ``loss_cfg.<name>``
  (objectives without hyper-parameters have no block), and the configured penalties."""
  factory = OBJECTIVES.get(loss_cfg.name)
  hparams = loss_cfg[loss_cfg.name].to_dict() if loss_cfg.name in loss_cfg else {}
  objective = with_penalties(factory(**hparams), loss_cfg.get("r1_gamma", 0.0),
                             loss_cfg.get("out_of_bound", 0.0))
  if "acgan" in loss_cfg:
    objective = acgan.with_aux_classifier(objective, loss_cfg.acgan.weight,
                                          loss_cfg.acgan.d_fake_class)
  return objective
