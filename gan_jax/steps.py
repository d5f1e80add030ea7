"""Pure training and sampling steps.

``train_step(state, batch)`` runs ``d_steps`` discriminator updates and one
generator update, exactly as the seeds' loop: D sees a real and a fake batch in
two forward passes (batch norm statistics per batch), ``D_G_z1`` is D(G(z))
before the D update and ``D_G_z2`` after it, and G is updated on the same z.
Hyper-parameters and modules are bound with ``functools.partial`` before jit.
Under ``jax.jit`` over the ('data',) mesh every mean, batch norm included, is a
mean over the global batch, so N devices compute what one device computes.
"""

import jax
import jax.numpy as jnp
import optax

from gan_jax.train_state import GANState


def _finite(tree):
  leaves = jax.tree.leaves(tree)
  return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def train_step(state: GANState, batch: dict, *, generator, discriminator, g_tx, d_tx, loss,
               config) -> tuple[GANState, dict]:
  real_all = batch["image"]  # (d_steps, B, H, W, C)
  d_steps, batch_size = real_all.shape[:2]
  z_key, drop_key = jax.random.split(jax.random.fold_in(state.rng, state.step))
  latent = config.model.latent_dim

  def sample_z(key):
    return jax.random.normal(key, (batch_size, latent), jnp.float32)

  def generate(g_params, g_stats, z):
    fake, new_vars = generator.apply({"params": g_params, "batch_stats": g_stats}, z,
                                     train=True, mutable=["batch_stats"])
    return fake, new_vars.get("batch_stats", g_stats)

  def discriminate(d_params, d_stats, x, key):
    out, new_vars = discriminator.apply({"params": d_params, "batch_stats": d_stats}, x,
                                        train=True, mutable=["batch_stats"],
                                        rngs={"dropout": key})
    return out, new_vars.get("batch_stats", d_stats)

  def d_update(d_params, d_stats, d_opt_state, real, i):
    z = sample_z(jax.random.fold_in(z_key, i))
    # G runs once per z: the pullback is kept for the generator update.
    fake, g_vjp, g_stats = jax.vjp(
        lambda p: generate(p, state.g_batch_stats, z), state.g_params, has_aux=True)
    k_real, k_fake = jax.random.split(jax.random.fold_in(drop_key, i))

    def d_loss_fn(params):
      real_out, stats = discriminate(params, d_stats, real, k_real)
      fake_out, stats = discriminate(params, stats, fake, k_fake)
      value, metrics = loss.d_loss(real_out, fake_out, real, fake, state.loss_state, config.loss)
      return value, (stats, metrics)

    (d_loss, (d_stats, metrics)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_params)
    updates, d_opt_state = d_tx.update(grads, d_opt_state, d_params)
    d_params = loss.constrain_d_params(optax.apply_updates(d_params, updates), config.loss)
    return d_params, d_stats, d_opt_state, (fake, g_vjp, g_stats), dict(metrics, d_loss=d_loss)

  # d_steps is static and small: a Python loop, since convolutions inside an
  # XLA while loop (lax.scan) run several times slower on CPU.
  d_params, d_stats, d_opt_state = state.d_params, state.d_batch_stats, state.d_opt_state
  for i in range(d_steps):
    d_params, d_stats, d_opt_state, g_forward, d_metrics = d_update(
        d_params, d_stats, d_opt_state, real_all[i], i)

  g_drop_key = jax.random.fold_in(drop_key, d_steps)

  # Generator update on the last z, through the updated discriminator.
  fake, g_vjp, g_stats = g_forward

  def g_loss_fn(fake):
    fake_out, new_d_stats = discriminate(d_params, d_stats, fake, g_drop_key)
    value, metrics = loss.g_loss(fake_out, fake, state.loss_state, config.loss)
    return value, (new_d_stats, metrics)

  (g_loss, (d_stats, g_metrics)), d_fake = jax.value_and_grad(g_loss_fn, has_aux=True)(fake)
  (grads,) = g_vjp(d_fake)
  updates, g_opt_state = g_tx.update(grads, state.g_opt_state, state.g_params)
  g_params = optax.apply_updates(state.g_params, updates)

  metrics = {**d_metrics, **g_metrics, "g_loss": g_loss}
  loss_state = loss.update_state(state.loss_state, metrics, config.loss)
  g_ema = state.g_ema_params
  if config.ema_decay > 0:
    g_ema = optax.incremental_update(g_params, g_ema, 1.0 - config.ema_decay)
  metrics["finite"] = _finite([metrics["d_loss"], g_loss])
  new_state = state.replace(
      step=state.step + 1, g_params=g_params, g_batch_stats=g_stats, g_opt_state=g_opt_state,
      d_params=d_params, d_batch_stats=d_stats, d_opt_state=d_opt_state,
      loss_state=loss_state, g_ema_params=g_ema)
  return new_state, metrics


def sample_step(state: GANState, z, *, generator, use_ema: bool):
  """Generator in inference mode (running batch statistics) on given noise."""
  params = state.g_ema_params if use_ema else state.g_params
  return generator.apply({"params": params, "batch_stats": state.g_batch_stats}, z, train=False)
