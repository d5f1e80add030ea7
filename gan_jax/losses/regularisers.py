"""Terms any objective can carry, registered like objectives (``REGULARIZERS``), each reading
its own field or block of ``config.loss`` and leaving the objective as it is when off:
``loss.r1_gamma`` (R1 on real images), ``loss.out_of_bound`` (generator outputs outside
[-1, 1]), ``loss.mode_seeking`` and ``loss.diversity_sensitive`` (the diversity terms) and
``loss.acgan`` (an auxiliary classifier's loss). Applied in registration order by
``losses.build``."""

import dataclasses

from gan_jax.losses import acgan, penalties
from gan_jax.losses.objective import Objective
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import Registry

REGULARIZERS: Registry = Registry("regulariser")


def regulariser(name: str):
  """``@regulariser("x")`` on ``f(objective, loss_cfg) -> objective``."""
  return REGULARIZERS.register(name)


def _weight(loss_cfg, field: str) -> float:
  """A regulariser's weight (0 = off); a negative one is refused."""
  value = loss_cfg.get(field, 0.0)
  if value < 0:
    raise ConfigError(f"loss.{field} must be >= 0, got {value}.")
  return value


@regulariser("r1")
def _r1(objective: Objective, loss_cfg) -> Objective:
  """gamma/2 * R1 on real images added to D's loss (``loss.r1_gamma``; metric ``r1``)."""
  gamma = _weight(loss_cfg, "r1_gamma")
  if gamma == 0:
    return objective

  def d_loss(real_out, fake_out, inputs, state, _inner=objective.d_loss):
    value, metrics = _inner(real_out, fake_out, inputs, state)
    r1 = penalties.r1_penalty(inputs.critic, inputs.real, inputs.real_labels)
    return value + 0.5 * gamma * r1, dict(metrics, r1=r1)
  return dataclasses.replace(objective, d_loss=d_loss)


@regulariser("out_of_bound")
def _out_of_bound(objective: Objective, loss_cfg) -> Objective:
  """``loss.out_of_bound`` * E[relu(|G(z)| - 1)^2] added to G's loss (metric ``out_of_bound``)."""
  weight = _weight(loss_cfg, "out_of_bound")
  if weight == 0:
    return objective

  def g_loss(fake_out, inputs, state, _inner=objective.g_loss):
    value, metrics = _inner(fake_out, inputs, state)
    oob = penalties.out_of_bound_penalty(inputs.fake)
    return value + weight * oob, dict(metrics, out_of_bound=oob)
  return dataclasses.replace(objective, g_loss=g_loss)


def _block_weight(loss_cfg, block: str) -> float:
  """The ``weight`` of block ``loss.<block>`` (0 = off, also when the block is absent)."""
  if block not in loss_cfg:
    return 0.0
  value = loss_cfg[block].get("weight", 0.0)
  if value < 0:
    raise ConfigError(f"loss.{block}.weight must be >= 0, got {value}.")
  return value


@regulariser("mode_seeking")
def _mode_seeking(objective: Objective, loss_cfg) -> Objective:
  """Mao et al. 2019's mode-seeking term, ``weight / (ratio + eps)`` added to G's loss, the
  ratio being ``penalties.mode_seeking_ratio`` between the batch's two halves (metric
  ``mode_seeking``: the ratio)."""
  weight = _block_weight(loss_cfg, "mode_seeking")
  if weight == 0:
    return objective
  eps = loss_cfg.mode_seeking.get("eps", 1e-5)
  if eps <= 0:
    raise ConfigError(f"loss.mode_seeking.eps must be > 0, got {eps}.")

  def g_loss(fake_out, inputs, state, _inner=objective.g_loss):
    value, metrics = _inner(fake_out, inputs, state)
    ratio = penalties.mode_seeking_ratio(inputs.fake, inputs.z)
    return value + weight / (ratio + eps), dict(metrics, mode_seeking=ratio)
  return dataclasses.replace(objective, g_loss=g_loss, twin_conditions=True)


@regulariser("diversity_sensitive")
def _diversity_sensitive(objective: Objective, loss_cfg) -> Objective:
  """Yang et al. 2019's diversity-sensitive term, ``- weight * E[min(ratio, tau)]`` added to
  G's loss (``penalties.diversity_sensitive_ratio``; metric ``diversity_sensitive``)."""
  weight = _block_weight(loss_cfg, "diversity_sensitive")
  if weight == 0:
    return objective
  tau = loss_cfg.diversity_sensitive.get("tau", 1.0)
  if tau <= 0:
    raise ConfigError(f"loss.diversity_sensitive.tau must be > 0, got {tau}.")

  def g_loss(fake_out, inputs, state, _inner=objective.g_loss):
    value, metrics = _inner(fake_out, inputs, state)
    term = penalties.diversity_sensitive_ratio(inputs.fake, inputs.z, tau)
    return value - weight * term, dict(metrics, diversity_sensitive=term)
  return dataclasses.replace(objective, g_loss=g_loss, twin_conditions=True)


@regulariser("acgan")
def _acgan(objective: Objective, loss_cfg) -> Objective:
  """An auxiliary classifier's loss (``loss.acgan`` block)."""
  if "acgan" not in loss_cfg:
    return objective
  return acgan.with_aux_classifier(objective, loss_cfg.acgan.weight, loss_cfg.acgan.d_fake_class)
