"""Orbax checkpoints of the whole GANState, with a record of what made them.

Each step directory holds ``state`` (every array of ``GANState``) and ``meta``
(JSON: the model and image configuration and the parameter shapes).  Restoring
compares ``meta`` with the current config first, so a checkpoint of another
architecture is refused with the differing fields named instead of failing deep
inside orbax, and a corrupt checkpoint gives a message that says what to do.
"""

import os

import jax
import orbax.checkpoint as ocp
from absl import logging

from gan_jax.errors import CheckpointError


def describe(config, state_shapes) -> dict:
  """What must match for a checkpoint to load into this config's model."""
  flat = {jax.tree_util.keystr(p): list(x.shape) for p, x in
          jax.tree_util.tree_leaves_with_path({"g": state_shapes.g_params, "d": state_shapes.d_params})}
  return {
      "model": {k: v for k, v in config.model.to_dict().items() if k != "conv_impl"},
      "image_size": config.data.image_size,
      "dataset": config.data.name,
      "loss": config.loss.name,
      "param_shapes": flat,
  }


def _differences(saved: dict, wanted: dict) -> list[str]:
  out = []
  for key in ("model", "image_size"):
    a, b = saved.get(key), wanted.get(key)
    if isinstance(a, dict) and isinstance(b, dict):
      out += [f"model.{k}: checkpoint {a.get(k)!r}, config {b.get(k)!r}"
              for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    elif a != b:
      out.append(f"{key}: checkpoint {a!r}, config {b!r}")
  if not out and saved.get("param_shapes") != wanted.get("param_shapes"):
    out.append("parameter shapes differ")
  return out


class Checkpointer:
  def __init__(self, directory: str, keep: int):
    self.directory = os.path.abspath(directory)
    self.manager = ocp.CheckpointManager(
        self.directory, item_names=("state", "meta"),
        options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=True))

  def latest_step(self):
    return self.manager.latest_step()

  def save(self, step: int, state, meta: dict):
    self.manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta)))

  def wait(self):
    self.manager.wait_until_finished()

  def restore(self, abstract_state, meta: dict, step: int | None = None):
    """Restores ``step`` (default newest) into the shardings of ``abstract_state``."""
    step = self.latest_step() if step is None else step
    if step is None:
      raise CheckpointError(f"No checkpoint in {self.directory}; train first (--mode=train).")
    where = os.path.join(self.directory, str(step))
    try:
      saved = self.manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]
    except Exception as e:  # orbax raises many types for unreadable files
      raise CheckpointError(
          f"Checkpoint {where} is unreadable ({type(e).__name__}: {str(e)[:200]}). It may be "
          f"corrupt or from another program: move it aside to resume from an earlier step, "
          f"or use a new --workdir.") from e
    diffs = _differences(saved, meta)
    if diffs:
      raise CheckpointError(
          f"Checkpoint {where} was made by a different architecture: " + "; ".join(diffs)
          + ". Use the config it was trained with (see config.json in the workdir) or a new --workdir.")
    try:
      restored = self.manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(abstract_state)))["state"]
    except Exception as e:
      raise CheckpointError(
          f"Checkpoint {where} could not be restored ({type(e).__name__}: {str(e)[:300]}). "
          f"It may be corrupt or incomplete: move it aside to resume from an earlier step.") from e
    logging.info("Restored checkpoint %s", where)
    return restored, step

  def close(self):
    self.manager.wait_until_finished()
    self.manager.close()
