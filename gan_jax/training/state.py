"""The complete training state and its creation."""

from typing import Any

import flax
import jax
import jax.numpy as jnp

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
  data_state: PyTree = flax.struct.field(default_factory=dict)  # {} unless a real-image
  # threshold is on (gan_jax/training/threshold.py)


def create_state(rng, *, generator, discriminator, g_tx, d_tx, objective, sampler, image_shape,
                 use_ema: bool) -> GANState:
  """Initialises both networks and optimizers (pure; jit it with replicated outputs)."""
  init_rng, state_rng = jax.random.split(rng)
  g_rng, d_rng = jax.random.split(init_rng)
  z, y = sampler.dummy(2)
  g_vars = generator.init(g_rng, z, y, train=False)
  x = jnp.zeros((2,) + tuple(image_shape), jnp.float32)
  d_vars = discriminator.init(d_rng, x, y, train=False)
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
      loss_state=objective.init_state(),
      g_ema_params=g_params if use_ema else {},
  )
