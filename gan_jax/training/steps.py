"""Pure training and sampling steps.

``train_step(state, batch)`` runs ``d_steps`` discriminator updates and one generator
update, as the DCGAN-vs-MLP MNIST study's loop: D sees a real and a fake batch in two
forward passes (batch-norm statistics per batch), ``D_G_z1`` is D(G(z)) before the D
update and ``D_G_z2`` after it (through the updated D), and G is updated on the same
(z, y). G in training mode gets a ``noise`` rng stream (for noise inputs; in inference it
gets none, so a noise input must be deterministic there). Modules, objective, optimizers and
sampler are bound with ``functools.partial``
before jit. Under ``jax.jit`` over the ('data',) mesh every mean, batch norm included, is
a mean over the global batch, so N devices compute what one device computes.

With ``dynamic`` (the CelebA upsampling/WGAN study's dynamic critic count) the step instead
updates D on its real batch, with a fresh z each time, while D's loss stays above
``d_threshold`` (at most ``max_d`` updates), then G while its loss stays above
``g_threshold`` (at most ``max_g``); the first update of each is unconditional, the repeats
run in a ``lax.while_loop`` so the step stays one jitted program on any device count, and
the counts used are the metrics ``d_updates`` / ``g_updates``.
"""

import dataclasses

import jax
import jax.numpy as jnp
import optax
from jax import lax

from gan_jax.training import threshold
from gan_jax.training.nets import Nets
from gan_jax.training.state import GANState
from gan_jax.utils.errors import ConfigError


# G's ``noise`` stream (noise inputs, in training mode) folds this into the step's dropout key
NOISE_SALT = 0x6E6F6973


@dataclasses.dataclass(frozen=True)
class DynamicSteps:
  d_threshold: float
  g_threshold: float
  max_d: int
  max_g: int


def dynamic_steps(loss_cfg) -> "DynamicSteps | None":
  """The loss block's dynamic critic count, or None when it is off."""
  dyn = loss_cfg.dynamic_steps
  if not dyn.enabled:
    return None
  if dyn.max_d < 1 or dyn.max_g < 1:
    raise ConfigError(f"loss.dynamic_steps.max_d and max_g must be >= 1, got {dyn.max_d} "
                      f"and {dyn.max_g}.")
  if loss_cfg.d_steps != 1:
    raise ConfigError("loss.dynamic_steps repeats updates on one real batch: set "
                      "loss.d_steps=1.")
  return DynamicSteps(dyn.d_threshold, dyn.g_threshold, dyn.max_d, dyn.max_g)

def _finite(tree):
  leaves = jax.tree.leaves(tree)
  return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def lr_scale(opt_state):
  """The learning-rate scale of a ``reduce_on_plateau`` at the end of an optimizer chain."""
  return opt_state[-1].scale


def _fixed_updates(nets: Nets, nets_state: tuple, real_all, labels_all, z_key, drop_key,
                   conditional: bool):
  """``d_steps`` D updates, each on its own real batch and a fresh (z, y), then one G update
  on the last (z, y) through the updated D (on a (z, y) of its own when D's are paired with
  the real labels and G's term needs twinned conditions)."""
  d_params, d_stats, d_opt_state, g_params, g_stats, g_opt_state = nets_state
  d_steps, batch_size = real_all.shape[:2]
  noise_key = jax.random.fold_in(drop_key, NOISE_SALT)
  examples = []  # each real batch's per-example losses, before D's update on it
  # d_steps is static and small: a Python loop, since convolutions inside an XLA while loop
  # (lax.scan) run several times slower on CPU.
  for i in range(d_steps):
    real_y = labels_all[i] if conditional else None
    z, fake_y = nets.draw_for_d(jax.random.fold_in(z_key, i), batch_size, real_y, conditional)
    # G runs once per z: the pullback is kept for the generator update.
    fake, g_vjp, new_g_stats = jax.vjp(
        lambda p: nets.generate(p, g_stats, z, fake_y, jax.random.fold_in(noise_key, i)),
        g_params, has_aux=True)
    d_params, d_stats, d_opt_state, d_metrics, example = nets.d_update(
        d_params, d_stats, d_opt_state, real_all[i], real_y, fake, fake_y, z,
        jax.random.fold_in(drop_key, i))
    examples.append(example)
  if conditional and nets.objective.paired_labels and nets.objective.twin_conditions:
    z, fake_y = nets.draw_for_g(jax.random.fold_in(z_key, d_steps), batch_size, conditional)
    fake, g_vjp, new_g_stats = jax.vjp(
        lambda p: nets.generate(p, g_stats, z, fake_y, jax.random.fold_in(noise_key, d_steps)),
        g_params, has_aux=True)
  (g_loss, (d_stats, g_metrics)), d_fake = jax.value_and_grad(
      lambda f: nets.g_loss_through_d(d_params, d_stats, f, fake_y, z,
                                      jax.random.fold_in(drop_key, d_steps), real_all[-1],
                                      labels_all[-1] if conditional else None),
      has_aux=True)(fake)
  (grads,) = g_vjp(d_fake)
  updates, g_opt_state = nets.g_tx.update(grads, g_opt_state, g_params,
                                          **nets.plateau_value(d_metrics))
  g_params = optax.apply_updates(g_params, updates)
  new = (d_params, d_stats, d_opt_state, g_params, new_g_stats, g_opt_state)
  return new, d_metrics, g_metrics, g_loss, {}, examples


def _dynamic_updates(nets: Nets, nets_state: tuple, real_all, labels_all, z_key, drop_key,
                     conditional: bool, dynamic: DynamicSteps):
  """D on the step's real batch while its loss > ``d_threshold`` (a fresh z each time, at
  most ``max_d``), then G while its loss > ``g_threshold`` (at most ``max_g``); the first
  update of each is unconditional, the repeats run in ``lax.while_loop``."""
  d_params, d_stats, d_opt_state, g_params, g_stats, g_opt_state = nets_state
  if real_all.shape[0] != 1:
    raise ConfigError("loss.dynamic_steps repeats updates on one real batch: set "
                      "loss.d_steps=1.")
  batch_size = real_all.shape[1]
  noise_key = jax.random.fold_in(drop_key, NOISE_SALT)
  real, real_y = real_all[0], (labels_all[0] if conditional else None)

  def one_d(i, d_params, d_stats, d_opt_state, g_stats):
    z, fake_y = nets.draw_for_d(jax.random.fold_in(z_key, i), batch_size, real_y, conditional)
    fake, g_stats = nets.generate(g_params, g_stats, z, fake_y, jax.random.fold_in(noise_key, i))
    d_params, d_stats, d_opt_state, metrics, example = nets.d_update(
        d_params, d_stats, d_opt_state, real, real_y, lax.stop_gradient(fake), fake_y, z,
        jax.random.fold_in(drop_key, i))
    return d_params, d_stats, d_opt_state, g_stats, metrics, example

  *first, example = one_d(0, d_params, d_stats, d_opt_state, g_stats)
  n_d, d_params, d_stats, d_opt_state, g_stats, d_metrics = lax.while_loop(
      lambda c: (c[0] < dynamic.max_d) & (c[-1]["d_loss"] > dynamic.d_threshold),
      lambda c: (c[0] + 1, *one_d(c[0], *c[1:5])[:-1]),
      (jnp.asarray(1, jnp.int32), *first))

  def one_g(j, g_params, g_stats, g_opt_state, d_stats):
    z, fake_y = nets.draw_for_g(jax.random.fold_in(z_key, dynamic.max_d + j), batch_size,
                                conditional)

    def loss_fn(p):
      fake, new_g_stats = nets.generate(p, g_stats, z, fake_y,
                                        jax.random.fold_in(noise_key, dynamic.max_d + j))
      value, (new_d_stats, metrics) = nets.g_loss_through_d(
          d_params, d_stats, fake, fake_y, z, jax.random.fold_in(drop_key, dynamic.max_d + j),
          real, real_y)
      return value, (new_g_stats, new_d_stats, metrics)

    (g_loss, (g_stats, d_stats, metrics)), grads = jax.value_and_grad(
        loss_fn, has_aux=True)(g_params)
    updates, g_opt_state = nets.g_tx.update(grads, g_opt_state, g_params,
                                            **nets.plateau_value(d_metrics))
    g_params = optax.apply_updates(g_params, updates)
    return g_params, g_stats, g_opt_state, d_stats, dict(metrics, g_loss=g_loss)

  first = one_g(0, g_params, g_stats, g_opt_state, d_stats)
  n_g, g_params, g_stats, g_opt_state, d_stats, g_metrics = lax.while_loop(
      lambda c: (c[0] < dynamic.max_g) & (c[-1]["g_loss"] > dynamic.g_threshold),
      lambda c: (c[0] + 1, *one_g(c[0], *c[1:5])),
      (jnp.asarray(1, jnp.int32), *first))
  g_loss = g_metrics.pop("g_loss")
  counts = {"d_updates": n_d.astype(jnp.float32), "g_updates": n_g.astype(jnp.float32)}
  new = (d_params, d_stats, d_opt_state, g_params, g_stats, g_opt_state)
  return new, d_metrics, g_metrics, g_loss, counts, [example]


def train_step(state: GANState, batch: dict, *, generator, discriminator, g_tx, d_tx, objective,
               sampler, ema_decay: float = 0.0, augment: tuple[str, ...] = (),
               plateau_metric: str = "", dynamic: DynamicSteps | None = None,
               joint_d_pass: bool = False) -> tuple[GANState, dict]:
  """``batch``: {'image': (d_steps, B, H, W, C), 'label': (d_steps, B, ...)}.
  ``joint_d_pass``: D's update sees the real and the generated batch in one call
  (``Nets.discriminate_jointly``) instead of two, and G's pass through D sees its batch
  beside the last real one."""
  nets = Nets(generator, discriminator, g_tx, d_tx, objective, sampler, state.loss_state,
               tuple(augment), plateau_metric, joint_d_pass)
  z_key, drop_key = jax.random.split(jax.random.fold_in(state.rng, state.step))
  nets_state = (state.d_params, state.d_batch_stats, state.d_opt_state,
                state.g_params, state.g_batch_stats, state.g_opt_state)
  args = (nets, nets_state, batch["image"], batch.get("label"), z_key, drop_key,
          sampler.condition.active)
  new, d_metrics, g_metrics, g_loss, counts, examples = (
      _fixed_updates(*args) if dynamic is None else _dynamic_updates(*args, dynamic))
  d_params, d_stats, d_opt_state, g_params, g_stats, g_opt_state = new

  metrics = {**d_metrics, **g_metrics, "g_loss": g_loss, **counts}
  loss_state = objective.update_state(state.loss_state, metrics)
  if plateau_metric:
    metrics["lr_scale"] = lr_scale(g_opt_state)
  data_state = state.data_state
  if "index" in batch:  # the real-image threshold records each real image's loss
    data_state = threshold.record(data_state, batch["index"], jnp.stack(examples))
  g_ema = state.g_ema_params
  if ema_decay > 0:
    # warm-up (as TF's ExponentialMovingAverage with num_updates): the initial weights fade
    # within tens of steps instead of ~1 / (1 - ema_decay)
    t = state.step.astype(jnp.float32)
    decay = jnp.minimum(ema_decay, (1.0 + t) / (10.0 + t))
    g_ema = optax.incremental_update(g_params, g_ema, 1.0 - decay)
  metrics["finite"] = _finite([metrics["d_loss"], g_loss])
  new_state = state.replace(
      step=state.step + 1, g_params=g_params, g_batch_stats=g_stats, g_opt_state=g_opt_state,
      d_params=d_params, d_batch_stats=d_stats, d_opt_state=d_opt_state,
      loss_state=loss_state, g_ema_params=g_ema, data_state=data_state)
  return new_state, metrics

