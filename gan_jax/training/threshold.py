"""The real-image threshold (the conditional-BEGAN report): before each epoch, the real images
whose loss in the previous epoch exceeded mean + ``num_std`` std of that epoch's losses are
left out of the next epoch.

The loss of a real image is the objective's per-example loss on it (``example_loss``: BEGAN's
reconstruction error |x - D(x)|, the BCE term -log D(x), the negated critic value), recorded
by the training step, inside the jitted step, at the image's dataset index, in the training
state's ``data_state``:
  {epoch, epoch_start (step), kept (N bools), loss (N floats), seen (N bools)}.
The state is checkpointed with everything else, so a resumed run keeps the same kept set and
the partly recorded epoch; every process computes the same set from the replicated losses.
Epochs with a threshold are whole: ``steps = n_kept // (d_steps * batch)`` steps each (the
remainder of the permutation is not read), and images left out of one epoch are not seen in
it, so they come back the epoch after.
"""

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError


def initial(n: int) -> dict:
  return {"epoch": jnp.zeros((), jnp.int32), "epoch_start": jnp.zeros((), jnp.int32),
          "kept": jnp.ones((n,), bool), "loss": jnp.zeros((n,), jnp.float32),
          "seen": jnp.zeros((n,), bool)}


def epoch_steps(n_kept: int, per_step: int) -> int:
  steps = n_kept // per_step
  if steps < 1:
    raise ConfigError(f"Only {n_kept} training images are kept, fewer than one step reads "
                      f"({per_step}); lower data.real_threshold.num_std's strictness or the batch.")
  return steps


def next_epoch(data_state: dict, step: int, num_std: float) -> dict:
  """The data state of the epoch starting at ``step`` (host arrays -> numpy dict)."""
  loss, seen = np.asarray(data_state["loss"]), np.asarray(data_state["seen"])
  values = loss[seen]
  threshold = values.mean() + num_std * values.std()
  drop = seen & (loss > threshold)
  epoch = int(data_state["epoch"]) + 1
  logging.info("Epoch %d: leaving out %d of %d real images (loss > %.4g = mean + %g std of "
               "epoch %d)", epoch, int(drop.sum()), len(loss), threshold, num_std, epoch - 1)
  return {"epoch": np.asarray(epoch, np.int32), "epoch_start": np.asarray(step, np.int32),
          "kept": ~drop, "loss": np.zeros_like(loss), "seen": np.zeros_like(seen)}


def record(data_state: dict, index, losses) -> dict:
  """``data_state`` with the losses of the real images ``index`` recorded (jit-able)."""
  idx = index.reshape(-1)
  return dict(data_state, loss=data_state["loss"].at[idx].set(losses.reshape(-1)),
              seen=data_state["seen"].at[idx].set(True))


class RealThreshold:
  """The threshold of one run: ``num_std``, the images a step reads, and the mesh its
  replicated state lives on; the state itself is the training state's ``data_state``."""

  def __init__(self, num_std: float, samples_per_step: int, mesh):
    self.num_std, self.samples_per_step = num_std, samples_per_step
    self._repl = parallel.replicated(mesh)

  def initial(self, num_train: int) -> dict:
    """The first epoch's state for a training split of ``num_train`` images, on the mesh."""
    return jax.device_put(initial(num_train), self._repl)

  def abstract(self, num_train: int) -> dict:
    """Its shapes and shardings (a restore target)."""
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=self._repl),
                        jax.eval_shape(lambda: initial(num_train)))

  def next_epoch(self, state, step: int):
    """``state`` with the next epoch started at ``step``."""
    new = next_epoch(jax.device_get(state.data_state), step, self.num_std)
    return state.replace(data_state=jax.device_put(new, self._repl))

  def epoch_range(self, state) -> tuple[int, int, np.ndarray, int]:
    """``(epoch, first step, kept dataset indices, steps)`` of ``state``'s current epoch."""
    ds = jax.device_get(state.data_state)
    kept = np.flatnonzero(ds["kept"])
    return (int(ds["epoch"]), int(ds["epoch_start"]), kept,
            epoch_steps(len(kept), self.samples_per_step))
