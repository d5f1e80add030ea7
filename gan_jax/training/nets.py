"""The networks, objective and optimizers of one training step (``Nets``): G in training
mode, D (on one batch, or on the real and generated batches in one call), the draws of
(z, y) for each update, one discriminator update and G's objective through D. The step
schedules that call them (fixed and dynamic critic counts) are in ``training/steps.py``."""

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import optax
from jax import lax

from gan_jax.losses import GANInputs
from gan_jax.training import augment as augment_lib
from gan_jax.utils.errors import ConfigError


def _twin(y):
  """Example i + B // 2 gets example i's condition (an odd last example keeps its own)."""
  h = y.shape[0] // 2
  return jnp.concatenate([y[:h], y[:h], y[2 * h:]])


@dataclasses.dataclass(frozen=True)
class Nets:
  """The networks, objective and optimizers of one step, bound to its state and options."""
  generator: Any
  discriminator: Any
  g_tx: Any
  d_tx: Any
  objective: Any
  sampler: Any
  loss_state: Any
  augment: tuple
  plateau_metric: str
  joint_d_pass: bool = False

  def generate(self, g_params, g_stats, z, y, key):
    """G in training mode; ``key`` is its ``noise`` stream (for noise inputs)."""
    fake, new_vars = self.generator.apply({"params": g_params, "batch_stats": g_stats}, z, y,
                                          train=True, mutable=["batch_stats"],
                                          rngs={"noise": key})
    return fake, new_vars.get("batch_stats", g_stats)

  def discriminate(self, d_params, d_stats, x, y, key):
    if self.augment:
      x = augment_lib.diff_augment(x, jax.random.fold_in(key, 1), self.augment)
    out, new_vars = self.discriminator.apply({"params": d_params, "batch_stats": d_stats}, x, y,
                                             train=True, mutable=["batch_stats"],
                                             rngs={"dropout": key})
    return out, new_vars.get("batch_stats", d_stats)

  def discriminate_jointly(self, d_params, d_stats, real, real_y, fake, fake_y, key):
    """Real and generated batches through D in one call: one batch of 2B, so batch norm
    normalises both with the statistics of the joint batch (and updates its running
    statistics, and spectral norm its power iteration, once instead of twice)."""
    b = real.shape[0]
    y = None if real_y is None else jnp.concatenate([real_y, fake_y.astype(real_y.dtype)])
    out, stats = self.discriminate(d_params, d_stats, jnp.concatenate([real, fake]), y, key)
    return (jax.tree.map(lambda a: a[:b], out), jax.tree.map(lambda a: a[b:], out), stats)

  def draw_for_d(self, key, batch_size, real_y, conditional):
    """(z, y) of a generated batch for D: under the real batch's labels when the objective
    pairs them, twinned conditions when it compares two z under one condition."""
    z, fake_y = self.sampler.draw(key, batch_size)
    if conditional and self.objective.paired_labels:
      fake_y = real_y
    elif conditional and self.objective.twin_conditions:
      fake_y = _twin(fake_y)
    return z, fake_y

  def draw_for_g(self, key, batch_size, conditional):
    z, fake_y = self.sampler.draw(key, batch_size)
    if conditional and self.objective.twin_conditions:
      fake_y = _twin(fake_y)
    return z, fake_y

  def plateau_value(self, d_metrics):
    if not self.plateau_metric:
      return {}
    if self.plateau_metric not in d_metrics:
      raise ConfigError(f"lr_plateau.metric={self.plateau_metric!r} is not a metric of the "
                        f"discriminator update; choose one of {sorted(d_metrics)}.")
    return {"value": d_metrics[self.plateau_metric]}

  def d_update(self, d_params, d_stats, d_opt_state, real, real_y, fake, fake_y, z, key):
    """One D update on a real and a generated batch; also each real image's loss."""
    k_real, k_fake = jax.random.split(key)
    k_critic, k_obj = jax.random.split(jax.random.fold_in(key, 2))

    def d_loss_fn(params):
      if self.joint_d_pass:
        real_out, fake_out, stats = self.discriminate_jointly(params, d_stats, real, real_y,
                                                              fake, fake_y, k_real)
      else:
        real_out, stats = self.discriminate(params, d_stats, real, real_y, k_real)
        fake_out, stats = self.discriminate(params, stats, fake, fake_y, k_fake)
      critic = lambda x, y: self.discriminate(params, d_stats, x, y, k_critic)[0]  # noqa: E731
      inputs = GANInputs(real=real, fake=fake, real_labels=real_y, fake_labels=fake_y,
                         critic=critic, key=k_obj, z=z)
      value, metrics = self.objective.d_loss(real_out, fake_out, inputs, self.loss_state)
      example = lax.stop_gradient(self.objective.example_loss(real_out, real))
      return value, (stats, metrics, example)

    (d_loss, (d_stats, metrics, example)), grads = jax.value_and_grad(
        d_loss_fn, has_aux=True)(d_params)
    metrics = dict(metrics, d_loss=d_loss)
    updates, d_opt_state = self.d_tx.update(grads, d_opt_state, d_params,
                                            **self.plateau_value(metrics))
    d_params = self.objective.constrain_d_params(optax.apply_updates(d_params, updates))
    return d_params, d_stats, d_opt_state, metrics, example

  def g_loss_through_d(self, d_params, d_stats, fake, fake_y, z, key, real=None, real_y=None):
    """G's objective on given generated images, through the current D. With the joint pass,
    D sees them beside ``real`` (the step's last real batch) as in its own update, so batch
    norm normalises G's images with the statistics D was trained under: alone, they were
    normalised by their own, and a D that told them apart at once (D(G(z)) near 0 in its
    update) called them real in G's pass (near 1), leaving G no gradient."""
    k_critic, k_obj = jax.random.split(jax.random.fold_in(key, 2))
    if self.joint_d_pass:
      _, fake_out, new_d_stats = self.discriminate_jointly(
          d_params, d_stats, lax.stop_gradient(real), real_y, fake, fake_y, key)
    else:
      fake_out, new_d_stats = self.discriminate(d_params, d_stats, fake, fake_y, key)
    critic = lambda x, y: self.discriminate(d_params, d_stats, x, y, k_critic)[0]  # noqa: E731
    inputs = GANInputs(real=None, fake=fake, real_labels=None, fake_labels=fake_y,
                       critic=critic, key=k_obj, z=z)
    value, metrics = self.objective.g_loss(fake_out, inputs, self.loss_state)
    return value, (new_d_stats, metrics)
