"""Pure training and sampling steps.

``train_step(state, batch)`` runs ``d_steps`` discriminator updates and one generator
update, as the DCGAN-vs-MLP MNIST study's loop: D sees a real and a fake batch in two
forward passes (batch-norm statistics per batch), ``D_G_z1`` is D(G(z)) before the D
update and ``D_G_z2`` after it (through the updated D), and G is updated on the same
(z, y). Modules, objective, optimizers and sampler are bound with ``functools.partial``
before jit. Under ``jax.jit`` over the ('data',) mesh every mean, batch norm included, is
a mean over the global batch, so N devices compute what one device computes.
"""

import jax
import jax.numpy as jnp
import optax

from gan_jax.losses import GANInputs
from gan_jax.train_state import GANState


def _finite(tree):
  leaves = jax.tree.leaves(tree)
  return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def train_step(state: GANState, batch: dict, *, generator, discriminator, g_tx, d_tx, objective,
               sampler, ema_decay: float = 0.0) -> tuple[GANState, dict]:
  """``batch``: {'image': (d_steps, B, H, W, C), 'label': (d_steps, B, ...)}."""
  real_all, labels_all = batch["image"], batch.get("label")
  d_steps, batch_size = real_all.shape[:2]
  z_key, drop_key = jax.random.split(jax.random.fold_in(state.rng, state.step))
  conditional = sampler.condition.active

  def generate(g_params, g_stats, z, y):
    fake, new_vars = generator.apply({"params": g_params, "batch_stats": g_stats}, z, y,
                                     train=True, mutable=["batch_stats"])
    return fake, new_vars.get("batch_stats", g_stats)

  def discriminate(d_params, d_stats, x, y, key):
    out, new_vars = discriminator.apply({"params": d_params, "batch_stats": d_stats}, x, y,
                                        train=True, mutable=["batch_stats"],
                                        rngs={"dropout": key})
    return out, new_vars.get("batch_stats", d_stats)

  def d_update(d_params, d_stats, d_opt_state, real, real_y, i):
    z, fake_y = sampler.draw(jax.random.fold_in(z_key, i), batch_size)
    # G runs once per z: the pullback is kept for the generator update.
    fake, g_vjp, g_stats = jax.vjp(
        lambda p: generate(p, state.g_batch_stats, z, fake_y), state.g_params, has_aux=True)
    k_real, k_fake = jax.random.split(jax.random.fold_in(drop_key, i))
    inputs = GANInputs(real=real, fake=fake, real_labels=real_y, fake_labels=fake_y)

    def d_loss_fn(params):
      real_out, stats = discriminate(params, d_stats, real, real_y, k_real)
      fake_out, stats = discriminate(params, stats, fake, fake_y, k_fake)
      value, metrics = objective.d_loss(real_out, fake_out, inputs, state.loss_state)
      return value, (stats, metrics)

    (d_loss, (d_stats, metrics)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_params)
    updates, d_opt_state = d_tx.update(grads, d_opt_state, d_params)
    d_params = objective.constrain_d_params(optax.apply_updates(d_params, updates))
    return d_params, d_stats, d_opt_state, (fake, fake_y, g_vjp, g_stats, inputs), \
        dict(metrics, d_loss=d_loss)

  # d_steps is static and small: a Python loop, since convolutions inside an
  # XLA while loop (lax.scan) run several times slower on CPU.
  d_params, d_stats, d_opt_state = state.d_params, state.d_batch_stats, state.d_opt_state
  for i in range(d_steps):
    real_y = labels_all[i] if conditional else None
    d_params, d_stats, d_opt_state, g_forward, d_metrics = d_update(
        d_params, d_stats, d_opt_state, real_all[i], real_y, i)

  g_drop_key = jax.random.fold_in(drop_key, d_steps)

  # Generator update on the last (z, y), through the updated discriminator.
  fake, fake_y, g_vjp, g_stats, inputs = g_forward

  def g_loss_fn(fake):
    fake_out, new_d_stats = discriminate(d_params, d_stats, fake, fake_y, g_drop_key)
    value, metrics = objective.g_loss(fake_out, inputs.replace(fake=fake), state.loss_state)
    return value, (new_d_stats, metrics)

  (g_loss, (d_stats, g_metrics)), d_fake = jax.value_and_grad(g_loss_fn, has_aux=True)(fake)
  (grads,) = g_vjp(d_fake)
  updates, g_opt_state = g_tx.update(grads, state.g_opt_state, state.g_params)
  g_params = optax.apply_updates(state.g_params, updates)

  metrics = {**d_metrics, **g_metrics, "g_loss": g_loss}
  loss_state = objective.update_state(state.loss_state, metrics)
  g_ema = state.g_ema_params
  if ema_decay > 0:
    g_ema = optax.incremental_update(g_params, g_ema, 1.0 - ema_decay)
  metrics["finite"] = _finite([metrics["d_loss"], g_loss])
  new_state = state.replace(
      step=state.step + 1, g_params=g_params, g_batch_stats=g_stats, g_opt_state=g_opt_state,
      d_params=d_params, d_batch_stats=d_stats, d_opt_state=d_opt_state,
      loss_state=loss_state, g_ema_params=g_ema)
  return new_state, metrics


def sample_step(state: GANState, z, y=None, *, generator, use_ema: bool):
  """Generator in inference mode (running batch statistics) on given inputs."""
  params = state.g_ema_params if use_ema else state.g_params
  return generator.apply({"params": params, "batch_stats": state.g_batch_stats}, z, y, train=False)
