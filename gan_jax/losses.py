"""GAN objectives, chosen by name (``config.loss.name``).

A loss sees the discriminator's raw outputs on the real and generated batches,
and the batches themselves (BEGAN's L(v) = |v - D(v)| needs both), and returns
scalars plus metrics.  Objectives with state of their own (BEGAN's k_t)
or constraints on the critic (WGAN's weight clipping) use ``init_state``,
``update_state`` and ``constrain_d_params``; the training step calls all of them,
so a new objective plugs in by registering here, without touching the loop.
"""

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import ml_collections

PyTree = Any


def _identity(params, cfg):
  del cfg
  return params


def _no_state(cfg):
  del cfg
  return {}


def _keep_state(state, metrics, cfg):
  del metrics, cfg
  return state


@dataclasses.dataclass(frozen=True)
class GANLoss:
  """One objective.

  ``d_loss(real_out, fake_out, real, fake, state, cfg)`` and
  ``g_loss(fake_out, fake, state, cfg)`` return ``(scalar, metrics)``, metrics
  being means over the global batch; ``update_state(state, metrics, cfg)`` runs
  once per step after both updates.
  """
  d_loss: Callable[..., tuple[jax.Array, dict]]
  g_loss: Callable[..., tuple[jax.Array, dict]]
  init_state: Callable[[ml_collections.ConfigDict], PyTree] = _no_state
  update_state: Callable[[PyTree, dict, ml_collections.ConfigDict], PyTree] = _keep_state
  constrain_d_params: Callable[[PyTree, ml_collections.ConfigDict], PyTree] = _identity


def _ns_d_loss(real_out, fake_out, real, fake, state, cfg):
  """-log D(x) - log(1 - D(G(z))), summed over the real and the fake batch (as the seeds)."""
  del real, fake, state, cfg
  loss_real = jnp.mean(jax.nn.softplus(-real_out))
  loss_fake = jnp.mean(jax.nn.softplus(fake_out))
  return loss_real + loss_fake, {
      "d_loss_real": loss_real, "d_loss_fake": loss_fake,
      "D_x": jnp.mean(jax.nn.sigmoid(real_out)),
      "D_G_z1": jnp.mean(jax.nn.sigmoid(fake_out))}


def _ns_g_loss(fake_out, fake, state, cfg):
  """Non-saturating generator loss: -log D(G(z))."""
  del fake, state, cfg
  return jnp.mean(jax.nn.softplus(-fake_out)), {"D_G_z2": jnp.mean(jax.nn.sigmoid(fake_out))}


def _minimax_g_loss(fake_out, fake, state, cfg):
  """The original minimax generator loss: log(1 - D(G(z)))."""
  del fake, state, cfg
  return -jnp.mean(jax.nn.softplus(fake_out)), {"D_G_z2": jnp.mean(jax.nn.sigmoid(fake_out))}


LOSSES: dict[str, GANLoss] = {
    "non_saturating": GANLoss(d_loss=_ns_d_loss, g_loss=_ns_g_loss),
    "minimax": GANLoss(d_loss=_ns_d_loss, g_loss=_minimax_g_loss),
}


def get(name: str) -> GANLoss:
  if name not in LOSSES:
    raise ValueError(f"Unknown loss.name {name!r}; choose one of {sorted(LOSSES)}.")
  return LOSSES[name]
