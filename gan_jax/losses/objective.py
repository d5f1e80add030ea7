"""The objective contract: what the training step calls, whatever the loss.

An objective is built with its hyper-parameters bound (``OBJECTIVES.get(name)(**hparams)``)
and is called with the discriminator's outputs (``DOutput``) and the step's inputs
``GANInputs``. Objectives with state of their own (BEGAN's k_t) or a constraint on the
critic (WGAN's weight clipping) use ``init_state``, ``update_state`` and
``constrain_d_params``; the step calls all of them, so a new objective plugs in by adding
a file, never by editing the step.
"""

import dataclasses
from typing import Any, Callable

import flax
import jax

from gan_jax.utils.registry import Registry

PyTree = Any


@flax.struct.dataclass
class GANInputs:
  """One update's inputs: real images and labels, generated images and the labels they were
  generated for (labels are None for unconditional models); ``critic(x, y) -> DOutput`` is
  the discriminator being updated (its parameters traced, training mode, its batch-statistics
  update dropped), for penalties on input gradients; ``key`` is the update's own randomness;
  ``z`` the latents G was given for ``fake`` (with ``fake_labels``), for terms on G's inputs
  such as a mode-seeking term."""
  real: jax.Array
  fake: jax.Array
  real_labels: Any = None
  fake_labels: Any = None
  critic: Callable | None = flax.struct.field(pytree_node=False, default=None)
  key: jax.Array | None = None
  z: jax.Array | None = None


def _no_state():
  return {}


def _keep_state(state, metrics):
  del metrics
  return state


def _identity(params):
  return params


def _negated_logits(out, images):
  del images
  return -out.logits


@dataclasses.dataclass(frozen=True)
class Objective:
  """``d_loss(real_out, fake_out, inputs, state)`` and ``g_loss(fake_out, inputs, state)``
  return ``(scalar, metrics)``, metrics being means over the global batch;
  ``update_state(state, metrics)`` runs once per step after both updates, with the metrics
  of the step's last discriminator update and of its generator update.
  ``example_loss(real_out, real) -> (B,)`` is each real image's own loss (higher = judged
  less real), for the real-image threshold.
  ``paired_labels``: the discriminator's generated batch is drawn under the real batch's
  own labels (a conditional model), so that image i of each batch has one condition; a term
  that mixes real and generated images pairwise (WGAN-GP's interpolates) needs it.
  ``twin_conditions``: the generator's batch repeats the conditions of its first half in its
  second half (example i + B // 2 has example i's condition, under its own z), for terms that
  compare two z under one condition (mode seeking); with ``paired_labels`` too, the
  discriminator's batches stay paired and the generator update draws a twinned batch of its
  own."""
  d_loss: Callable[..., tuple[jax.Array, dict]]
  g_loss: Callable[..., tuple[jax.Array, dict]]
  init_state: Callable[[], PyTree] = _no_state
  update_state: Callable[[PyTree, dict], PyTree] = _keep_state
  constrain_d_params: Callable[[PyTree], PyTree] = _identity
  example_loss: Callable[..., jax.Array] = _negated_logits
  paired_labels: bool = False
  twin_conditions: bool = False


OBJECTIVES: Registry[Callable[..., Objective]] = Registry("loss.name")
