"""The complete training state, optimizers, and its creation."""

from typing import Any

import flax
import jax
import jax.numpy as jnp
import ml_collections
import optax

PyTree = Any


@flax.struct.dataclass
class GANState:
  """Everything an exact resume needs; randomness is ``fold_in(rng, step)``."""
  step: jax.Array
  rng: jax.Array  # raw uint32 key
  g_params: PyTree
  g_batch_stats: PyTree
  g_opt_state: PyTree
  d_params: PyTree
  d_batch_stats: PyTree
  d_opt_state: PyTree
  loss_state: PyTree
  g_ema_params: PyTree  # {} when EMA is off


def _adam(cfg):
  return optax.adam(cfg.lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps)


def _rmsprop(cfg):
  # PyTorch's RMSprop defaults: alpha (decay) 0.99, eps 1e-8 outside the sqrt.
  return optax.rmsprop(cfg.lr, decay=cfg.decay, eps=cfg.eps)


def _sgd(cfg):
  return optax.sgd(cfg.lr, momentum=cfg.momentum or None)


OPTIMIZERS = {"adam": _adam, "rmsprop": _rmsprop, "sgd": _sgd}


def make_optimizer(cfg: ml_collections.ConfigDict) -> optax.GradientTransformation:
  if cfg.name not in OPTIMIZERS:
    raise ValueError(f"Unknown optimizer name {cfg.name!r}; choose one of {sorted(OPTIMIZERS)}.")
  return OPTIMIZERS[cfg.name](cfg)


def create_state(rng, *, generator, discriminator, g_tx, d_tx, loss, config, image_shape) -> GANState:
  """Initialises both networks and optimizers (pure; jit it with replicated outputs)."""
  init_rng, state_rng = jax.random.split(rng)
  g_rng, d_rng = jax.random.split(init_rng)
  z = jnp.zeros((2, config.model.latent_dim), jnp.float32)
  g_vars = generator.init(g_rng, z, train=False)
  x = jnp.zeros((2,) + tuple(image_shape), jnp.float32)
  d_vars = discriminator.init(d_rng, x, train=False)
  g_params = g_vars["params"]
  return GANState(
      step=jnp.zeros((), jnp.int32),
      rng=state_rng,
      g_params=g_params,
      g_batch_stats=g_vars.get("batch_stats", {}),
      g_opt_state=g_tx.init(g_params),
      d_params=d_vars["params"],
      d_batch_stats=d_vars.get("batch_stats", {}),
      d_opt_state=d_tx.init(d_vars["params"]),
      loss_state=loss.init_state(config.loss),
      g_ema_params=g_params if config.ema_decay > 0 else {},
  )
