"""Orbax checkpoints of a run's whole training state, with a record of what made them.

Each step directory holds ``state`` (every array of ``GANState``) and ``meta`` (JSON: the
model and image configuration and the parameter shapes). Restoring compares ``meta`` with
the current experiment first, so a checkpoint of another architecture is refused with the
differing fields named instead of failing deep inside orbax. An unreadable checkpoint (a
crash during a save, a damaged file) is moved aside to ``<dir>_unreadable/`` (never
deleted) and the newest readable one is used instead, with a warning in the log: a damaged
file costs steps, never the run.
"""

import contextlib
import os
import shutil

import jax
import numpy as np
import orbax.checkpoint as ocp
from absl import logging

from gan_jax.runs import orbax_output
from gan_jax.utils import disk
from gan_jax.utils.errors import CheckpointError, DiskFullError


def describe(model: dict, image_size: int, dataset: str, loss: str, g_params, d_params) -> dict:
  """What must match for a checkpoint to load into a model (``model``: its defining fields;
  ``g_params``, ``d_params``: the networks' parameters or their shapes)."""
  flat = {jax.tree_util.keystr(p): list(x.shape) for p, x in
          jax.tree_util.tree_leaves_with_path({"g": g_params, "d": d_params})}
  return {"model": model, "image_size": image_size, "dataset": dataset, "loss": loss,
          "param_shapes": flat}


def _differences(saved: dict, wanted: dict) -> list[str]:
  """Fields recorded on both sides that differ (a field one side lacks is not compared)."""
  out = []
  a, b = saved.get("model") or {}, wanted.get("model") or {}
  out += [f"model.{k}: checkpoint {a[k]!r}, config {b[k]!r}"
          for k in sorted(set(a) & set(b)) if a[k] != b[k]]
  if saved.get("image_size") != wanted.get("image_size"):
    out.append(f"image_size: checkpoint {saved.get('image_size')!r}, config {wanted.get('image_size')!r}")
  if saved.get("ensemble_seeds") != wanted.get("ensemble_seeds"):  # an ensemble's stacked state
    out.append(f"ensemble seeds: checkpoint {saved.get('ensemble_seeds')!r}, "
               f"now {wanted.get('ensemble_seeds')!r}")
  if not out and saved.get("param_shapes") != wanted.get("param_shapes"):
    out.append("parameter shapes differ")
  return out


class _Unreadable(Exception):
  pass


def _short(e: Exception) -> str:
  first = str(e).strip().splitlines()[0] if str(e).strip() else ""
  return f"{type(e).__name__}: {first[:160]}"


def _attempt(restore_fn):
  """``(restore_fn(), None)``, or ``(None, why)`` when the checkpoint is unreadable (its
  threads' aftermath held back and dropped: ``orbax_output.held_stderr``)."""
  try:
    with orbax_output.held_stderr():
      return restore_fn(), None
  except _Unreadable as e:
    return None, str(e)


def _agree(flag: bool) -> bool:
  """True when ``flag`` is true on any process (every process must take the same path)."""
  if jax.process_count() == 1:
    return flag
  from jax.experimental import multihost_utils
  return bool(np.any(multihost_utils.process_allgather(np.asarray(flag))))


def latest_saved_step(directory: str) -> int | None:
  """The newest complete checkpoint's step in ``directory`` without opening it: orbax names a
  committed step's folder by its number (one being written carries a temporary suffix)."""
  try:
    steps = [int(d) for d in os.listdir(directory) if d.isdigit()]
  except OSError:
    return None
  return max(steps) if steps else None


def footprint(state, keep: int) -> int:
  """Bytes that ``keep`` checkpoints of ``state`` take on disk (about: orbax adds a little)."""
  return keep * sum(int(x.size) * x.dtype.itemsize for x in jax.tree.leaves(state))


class Checkpointer:
  """Saves are synchronous: a save that returned is on disk, and a failed one raises here,
  in the training thread (a full disk: ``DiskFullError``, one line)."""

  def __init__(self, directory: str, keep: int):
    self.directory = os.path.abspath(directory)
    self.keep = keep
    self._failed = False  # a write failed for lack of room (said once, by that call)
    if orbax_output.WORKER_ERRORS not in logging.get_absl_logger().filters:
      logging.get_absl_logger().addFilter(orbax_output.WORKER_ERRORS)
    self.manager = self._open()

  def _open(self):
    return ocp.CheckpointManager(
        self.directory, item_names=("state", "meta"),
        options=ocp.CheckpointManagerOptions(max_to_keep=self.keep, create=True,
                                             enable_async_checkpointing=False))

  def latest_step(self):
    return self.manager.latest_step()

  @contextlib.contextmanager
  def _writing(self, what: str):
    """A write of orbax's: its aftermath held back (``orbax_output.held_stderr``), and a failure for lack
    of room, whichever call it surfaces in (the save, or a wait for its finalisation), one
    ``DiskFullError`` naming the folder, with the failed save's partial folders removed."""
    try:
      with orbax_output.held_stderr():
        yield
    except Exception as e:
      if disk.explain(e) is None:
        raise
      self._failed = True
      self._drop_partial()
      needs = 0
      try:
        steps = [int(d) for d in os.listdir(self.directory) if d.isdigit()]
        needs = disk.tree_bytes(os.path.join(self.directory, str(max(steps)))) if steps else 0
      except OSError:
        pass
      raise DiskFullError(disk.explain(e, what, self.directory, needs)) from None

  def save(self, step: int, state, meta: dict):
    with self._writing(f"the checkpoint of step {step}"):
      self.manager.save(step, args=ocp.args.Composite(
          state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta)))

  def _drop_partial(self):
    """Removes failed saves' temporary folders, giving their space back."""
    if jax.process_index() == 0 and os.path.isdir(self.directory):
      for name in os.listdir(self.directory):
        if ".orbax-checkpoint-tmp" in name:
          shutil.rmtree(os.path.join(self.directory, name), ignore_errors=True)

  def wait(self):
    with self._writing("a checkpoint"):
      self.manager.wait_until_finished()

  def _restore_step(self, step: int, abstract_state, meta: dict, partial: bool = False):
    where = os.path.join(self.directory, str(step))
    try:
      saved = self.manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]
    except Exception as e:  # orbax raises many types for unreadable files
      raise _Unreadable(_short(e)) from e
    diffs = _differences(saved, meta)
    if diffs:
      raise CheckpointError(
          f"Checkpoint {where} was made by a different architecture: " + "; ".join(diffs)
          + ". Use the config it was trained with (see config.json in the workdir) or a new --workdir.")
    if partial:  # some of the saved fields, by name (a dict): the rest is never read
      args = ocp.args.PyTreeRestore(
          abstract_state, restore_args=ocp.checkpoint_utils.construct_restore_args(abstract_state),
          partial_restore=True)
    else:
      args = ocp.args.StandardRestore(abstract_state)
    try:
      return self.manager.restore(step, args=ocp.args.Composite(state=args))["state"]
    except Exception as e:
      raise _Unreadable(_short(e)) from e

  def _move_aside(self, step: int) -> str:
    """Moves an unreadable step directory to ``<dir>_unreadable/<step>[.N]``; returns where."""
    aside = self.directory + "_unreadable"
    target = os.path.join(aside, str(step))
    if jax.process_index() == 0:
      os.makedirs(aside, exist_ok=True)
      n = 1
      while os.path.exists(target):
        target, n = os.path.join(aside, f"{step}.{n}"), n + 1
      os.rename(os.path.join(self.directory, str(step)), target)
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils
      multihost_utils.sync_global_devices(f"gan_jax_move_aside_{step}")
    self.manager.close()
    self.manager = self._open()
    return target

  def restore(self, abstract_state, meta: dict, fall_back: bool = True, partial: bool = False):
    """Restores the newest readable checkpoint into the shardings of ``abstract_state``;
    returns ``(state, step)``, or ``(None, None)`` when every checkpoint was unreadable and
    moved aside. With ``fall_back=False`` an unreadable newest checkpoint is an error. With
    ``partial``, ``abstract_state`` is a dict of some of the saved state's fields, and only
    those are read (a checkpointer opened for this alone: orbax binds one reader per item)."""
    if self.latest_step() is None:
      raise CheckpointError(f"No checkpoint in {self.directory}; train first (--mode=train).")
    while (step := self.latest_step()) is not None:
      state, why = _attempt(lambda: self._restore_step(step, abstract_state, meta, partial))
      if not _agree(why is not None):
        logging.info("Restored checkpoint %s", os.path.join(self.directory, str(step)))
        return state, step
      where = os.path.join(self.directory, str(step))
      if not fall_back:
        raise CheckpointError(
            f"Checkpoint {where} is unreadable ({why}). It may be corrupt or incomplete: "
            f"training (--mode=train) moves it aside and resumes from the newest readable one.")
      target = self._move_aside(step)
      logging.warning("Checkpoint %s is unreadable (%s): moved it to %s; trying the one before.",
                      where, why, target)
    logging.warning("No readable checkpoint is left in %s (unreadable ones are in %s_unreadable).",
                    self.directory, self.directory)
    return None, None

  def restore_step(self, step: int, abstract_state, meta: dict, partial: bool = False):
    """The checkpoint of ``step`` (not the newest); a missing or unreadable one is an error."""
    steps = sorted(self.manager.all_steps())
    if step not in steps:
      raise CheckpointError(f"No checkpoint of step {step} in {self.directory}; its steps: "
                            f"{steps or 'none'}.")
    state, why = _attempt(lambda: self._restore_step(step, abstract_state, meta, partial))
    if why is not None:
      raise CheckpointError(f"Checkpoint {os.path.join(self.directory, str(step))} is "
                            f"unreadable ({why}).")
    return state

  def resume(self, abstract_state, meta: dict, init, what: str = ""):
    """``(state, step)``: the newest readable checkpoint, or ``init()`` at step 0 when there
    is none (or none is readable). ``what`` names the resumed thing in the log."""
    state, start = None, 0
    if self.latest_step() is not None:
      state, start = self.restore(abstract_state, meta)
      if state is None:
        logging.warning("Starting %sfrom step 0.", what)
        start = 0
      else:
        logging.info("Resuming %sfrom step %d", what, start)
    return (init() if state is None else state), start

  def close(self):
    """Waits for the last save and closes; a failure for room was said already (by the save
    or wait that met it) or is said here, once."""
    self._already_failed = self._failed
    try:
      with self._writing("a checkpoint"):
        self.manager.wait_until_finished()
        self.manager.close()
    except DiskFullError:
      if not self._already_failed:  # met here first: said here, once
        raise
