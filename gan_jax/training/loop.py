"""The training loop, one for single runs and seed ensembles.

``train(...)`` runs steps ``start + 1 .. total`` of a jitted step and, after each, the
periodic actions that are due (log, sample grid, checkpoint, each evaluator), for every
member: a single run is one member, an ensemble one per seed whose states are stacked. A
non-finite loss stops the run before anything is logged or saved. Stop signals:

* SIGINT/SIGTERM/SIGUSR1 during the steps: a checkpoint of the current step, then the loop
  returns (the command then exits 128 + the signal's number: ``signals.Stopped``);
* during an evaluation (periodic or final) or its preparation: the evaluation is dropped at
  once, the step's checkpoint is written if it is not yet, and the loop returns. The next run
  resumes, and a run stopped during its final evaluation evaluates what is missing;
* a second SIGINT (Ctrl-C twice): stops at once, wherever the loop is; repeated SIGTERM or
  SIGUSR1 (a scheduler's duplicates) are ignored while the checkpoint is saved.
"""

import contextlib
import dataclasses
import time
from typing import Any, Callable

import jax
import numpy as np
from absl import logging

from gan_jax.evaluators.record import evaluate_all, evaluate_and_record
from gan_jax.runs.run_folder import RunFolder
from gan_jax.training.signals import Interrupted, StopRequest
from gan_jax.utils import images, parallel, terminal
from gan_jax.utils.errors import NonFiniteLossError


@dataclasses.dataclass
class PeriodicAction:
  """``run(step, final)`` every ``every`` steps (0: never periodically), at the last step when
  ``at_end`` (with ``final=True``), and at a requested stop when ``on_stop``."""
  name: str
  every: int
  run: Callable[[int, bool], None]
  at_end: bool = True
  on_stop: bool = False

  def due(self, step: int, total: int, stopping: bool) -> bool:
    if step == total:
      return self.at_end
    if stopping and self.on_stop:
      return True
    return self.every > 0 and step % self.every == 0


@dataclasses.dataclass
class Member:
  """One model the loop trains: its run folder, seed, TensorBoard writer and fixed grid
  inputs ``(z, y, columns)``."""
  run: RunFolder
  seed: int
  writer: Any
  grid: tuple


@dataclasses.dataclass(frozen=True)
class StepFunctions:
  """What the loop needs of the built experiment, as functions."""
  step: Callable          # (state, batch) -> (state, metrics); metrics stacked if stacked
  member_state: Callable  # (state, i) -> member i's state
  sample: Callable        # (member state, z, y) -> images in [-1, 1]
  samples: Callable       # member state -> evaluators.Samples
  stacked: bool           # an ensemble: states and metrics carry a leading member axis


@dataclasses.dataclass(frozen=True)
class Schedule:
  log_every: int
  sample_every: int
  checkpoint_every: int
  log_scalars: str = "mean"  # "mean" over the interval, or the logged step's "point"

  @classmethod
  def of(cls, config):
    return cls(config.log_every, config.sample_every, config.checkpoint_every,
               config.log_scalars)


class StepMetrics:
  """Step metrics kept on the device until needed; checked for finiteness before any log or
  checkpoint; reduced per member to interval means or the logged step's values."""

  def __init__(self, reduce: str, seeds: list[int] | None, last_good: Callable, directory: str):
    self.reduce, self.seeds = reduce, seeds
    self.last_good, self.directory = last_good, directory
    self.pending: list[tuple[int, dict]] = []
    self.values: list[dict] = []

  def add(self, step: int, metrics: dict):
    self.pending.append((step, metrics))

  def sync(self):
    """Fetches pending metrics (waiting for the device) and stops on a non-finite loss."""
    if not self.pending:
      return
    fetched = jax.device_get([m for _, m in self.pending])
    for (s, _), m in zip(self.pending, fetched):
      finite = np.asarray(m["finite"]).reshape(-1)
      if not finite.all():
        last = self.last_good()
        who = ("" if self.seeds is None else
               f" in the members with seeds {[self.seeds[i] for i in np.flatnonzero(~finite)]}")
        raise NonFiniteLossError(
            f"Non-finite loss at step {s}{who} (d_loss={m['d_loss']}, g_loss={m['g_loss']}). "
            + (f"The last good checkpoint, step {last}, is kept in {self.directory}. "
               if last is not None else "No checkpoint was written. ")
            + "Lower the learning rates (--config.g_optimizer.lr / d_optimizer.lr) or change "
              "the loss, then run again.")
    self.values += fetched
    self.pending.clear()

  def scalars(self) -> list[dict]:
    """One dict of scalars per member (one for a single run); empty before any step."""
    self.sync()
    if not self.values:
      return []
    keys = [k for k in self.values[-1] if k != "finite"]
    picked = self.values[-1:] if self.reduce == "point" else self.values
    stacked = {k: np.mean([np.asarray(m[k], np.float64) for m in picked], axis=0) for k in keys}
    self.values.clear()
    if self.seeds is None:
      return [{k: float(v) for k, v in stacked.items()}]
    return [{k: float(v[i]) for k, v in stacked.items()} for i in range(len(self.seeds))]


def train(fns: StepFunctions, state, start: int, total: int, *, feed, members: list[Member],
          ckpt, meta: dict, evals: list, schedule: Schedule, stop: StopRequest):
  """Trains from ``state`` at step ``start`` to ``total``; returns ``(state, step, stopped)``.

  ``feed(step, state) -> (state, batch, scalars)`` gives each step's global batch (and may
  move the state on, as the real-image threshold does at an epoch's end). ``ckpt`` is a
  ``runs.checkpoints.Checkpointer``; the caller closes it and the writers.
  """
  progress = terminal.Progress(start, total)
  seeds = [m.seed for m in members] if fns.stacked else None
  metrics = StepMetrics(schedule.log_scalars, seeds, ckpt.latest_step, ckpt.directory)
  saved_at = None

  def log(step, final):
    per_member = metrics.scalars()
    if not per_member:
      return
    if len(per_member) == 1:
      shown = per_member[0]
    else:
      shown = {k: (float(np.mean([s[k] for s in per_member])),
                   float(np.std([s[k] for s in per_member]))) for k in per_member[0]}
    line = progress.line(step, shown)
    for member, scalars in zip(members, per_member):
      if progress.last_rate:
        scalars["steps_per_sec"] = progress.last_rate
      member.writer.write_scalars(step, scalars)
    progress.clear_bar()
    logging.info("%s", line)

  def sample_grid(step, final):
    for i, member in enumerate(members):
      z, y, cols = member.grid
      grid = images.make_grid(fns.sample(fns.member_state(state, i), z, y), ncol=cols)
      member.run.save_grid(step, grid)
      member.writer.write_images(step, {"samples": grid[None]})

  def checkpoint(step, final):
    nonlocal saved_at
    ckpt.save(step, state, meta)
    saved_at = step

  def evaluate(ev):
    def run(step, final):
      if final:
        ckpt.wait()  # the trained model is safe on disk before the long evaluation
      with stop.at_once():
        for i, member in enumerate(members):
          evaluate_and_record(ev, fns.samples(fns.member_state(state, i)), step,
                              final, member.run, member.writer,
                              label=f"seed {member.seed}, " if fns.stacked else "")
    return run

  actions = [
      PeriodicAction("log", schedule.log_every, log, on_stop=True),
      PeriodicAction("sample_grid", schedule.sample_every, sample_grid),
      PeriodicAction("checkpoint", schedule.checkpoint_every, checkpoint, on_stop=True),
      *[PeriodicAction(f"eval/{ev.name}", ev.every, evaluate(ev), at_end=ev.final)
        for ev in evals],
  ]
  step = start
  try:
    t0 = time.time()
    for step in range(start + 1, total + 1):
      state, batch, extra = feed(step, state)
      for member in members:
        if extra:
          member.writer.write_scalars(step, extra)
      if step == start + 1:
        parallel.compile_together(fns.step, state, batch, name="the training step")
      state, step_metrics = fns.step(state, batch)
      metrics.add(step, step_metrics)
      if step == start + 1:
        jax.block_until_ready(step_metrics)
        logging.info("First step (with compilation) took %.1fs", time.time() - t0)
        progress.start(step)
      # Many processes agree on stopping (a collective) only at log steps.
      stopping = ((jax.process_count() == 1 or step % schedule.log_every == 0)
                  and stop.requested())
      due = [a for a in actions if a.due(step, total, stopping)]
      if due:
        metrics.sync()  # a non-finite loss stops the run before anything is logged or saved
      try:
        for action in due:
          with progress.paused() if action.name != "log" else contextlib.nullcontext():
            action.run(step, step == total)
      except Interrupted as e:
        if saved_at != step:
          checkpoint(step, step == total)
          ckpt.wait()
        logging.warning("Received %s during %s: stopped at step %d; checkpoint saved. Run the "
                        "same command to resume%s.", e, action.name, step,
                        " and finish the evaluation" if action.name.startswith("eval/") else "")
        return state, step, True
      progress.bar(step)
      if stopping:
        ckpt.wait()  # the line below is true only once the save is on disk
        logging.warning("Stopped at step %d; checkpoint saved. Run the same command to resume.",
                        step)
        return state, step, True
  except Interrupted as e:
    logging.warning("Received %s again: stopped at once at step %d; the newest complete "
                    "checkpoint is step %s.", e, step, ckpt.latest_step())
    return state, step, True
  finally:
    progress.clear_bar()
  return state, total, False


def evaluate_missing(fns: StepFunctions, state, step: int, members: list[Member], evals: list,
                     evals_config: dict, stop: StopRequest) -> bool:
  """Runs each member's final evaluations that its results.json lacks at ``step`` (a run
  stopped during its final evaluation); returns False when a stop signal cut it short."""
  for i, member in enumerate(members):
    samples = fns.samples(fns.member_state(state, i))
    missing = member.run.missing_finals(evals_config, step, samples.suffix)
    if not missing:
      continue
    logging.info("No final result of %s at step %d in %s: evaluating now.", ", ".join(missing),
                 step, member.run.path)
    try:
      with stop.at_once():
        evaluate_all([ev for ev in evals if ev.name in missing], samples, step, True,
                     member.run, member.writer)
    except Interrupted as e:
      logging.warning("Received %s during the final evaluation: stopped. Run the same command "
                      "to finish it.", e)
      return False
  return True


def prepare(evals: list, stop: StopRequest) -> bool:
  """Loads what the evaluators need before training (a missing piece fails in seconds, not
  after hours); returns False when a stop signal cut it short."""
  try:
    with stop.at_once():
      for ev in evals:
        ev.prepare()
  except Interrupted as e:
    logging.warning("Received %s while preparing the evaluators: stopped before training.", e)
    return False
  return True
