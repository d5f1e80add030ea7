"""The training loop, and sampling and evaluation of a trained checkpoint.

``train_and_evaluate(config, workdir)`` is the whole job: it builds the experiment,
restores the newest readable checkpoint in ``workdir`` (or starts fresh), and trains to
``config.num_train_steps``. After each step it runs the named periodic actions that are
due (log, sample grid, checkpoint, each evaluator); SIGINT/SIGTERM checkpoint and stop.
"""

import contextlib
import dataclasses
import os
import signal
import time
from typing import Callable

import jax
import ml_collections
import numpy as np
from absl import logging
from clu import metric_writers
from flax import traverse_util

from gan_jax import checkpointing, evaluators, images, reporting
from gan_jax.errors import GanJaxError, NonFiniteLossError
from gan_jax.experiment import Experiment


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


class _StopRequest:
  """SIGINT/SIGTERM set a flag; the loop checkpoints and returns at the next step."""

  def __init__(self):
    self.signum = None
    self._previous = {}

  def __enter__(self):
    for sig in (signal.SIGINT, signal.SIGTERM):
      try:
        self._previous[sig] = signal.signal(sig, self._handle)
      except ValueError:  # not the main thread
        pass
    return self

  def _handle(self, signum, frame):
    if self.signum is not None and signum == signal.SIGINT:
      raise KeyboardInterrupt  # a second Ctrl-C stops at once
    self.signum = signum
    logging.warning("Received %s: saving a checkpoint and stopping after this step.",
                    signal.Signals(signum).name)

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)

  def requested(self) -> bool:
    flag = self.signum is not None
    if jax.process_count() > 1:  # every process must stop at the same step: a collective
      from jax.experimental import multihost_utils
      flag = bool(np.any(multihost_utils.process_allgather(np.asarray(flag))))
    return flag


class _Metrics:
  """Step metrics kept on the device until needed; checked for finiteness before any log or
  checkpoint; reduced to interval means (``mean``) or the logged step's values (``point``)."""

  def __init__(self, reduce: str, last_good: Callable[[], int | None], directory: str):
    self.reduce, self.last_good, self.directory = reduce, last_good, directory
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
      if not m["finite"]:
        last = self.last_good()
        raise NonFiniteLossError(
            f"Non-finite loss at step {s} (d_loss={m['d_loss']}, g_loss={m['g_loss']}). "
            + (f"The last good checkpoint, step {last}, is kept in {self.directory}. "
               if last is not None else "No checkpoint was written. ")
            + "Lower the learning rates (--config.g_optimizer.lr / d_optimizer.lr) or change "
              "the loss, then run again.")
    self.values += fetched
    self.pending.clear()

  def scalars(self) -> dict:
    self.sync()
    if not self.values:
      return {}
    keys = [k for k in self.values[-1] if k != "finite"]
    if self.reduce == "point":
      out = {k: float(self.values[-1][k]) for k in keys}
    else:
      out = {k: float(np.mean([m[k] for m in self.values])) for k in keys}
    self.values.clear()
    return out


def _save_config(config, workdir):
  if jax.process_index() == 0:
    with open(os.path.join(workdir, "config.json"), "w") as f:
      f.write(config.to_json_best_effort(indent=2, sort_keys=True))


def _writer(workdir: str):
  """TensorBoard on process 0 (asynchronous); nothing elsewhere. The terminal line is
  ``reporting``'s."""
  if jax.process_index() > 0:
    return metric_writers.MultiWriter([])
  return metric_writers.AsyncWriter(metric_writers.SummaryWriter(workdir))


def _save_eval_images(workdir: str, result):
  """An evaluation's figures as ``<workdir>/evals/<evaluator>_<name>_step<N>.png``."""
  if jax.process_index() == 0:
    for name, img in result.images.items():
      images.save_png(img, os.path.join(workdir, "evals",
                                        f"{result.evaluator}_{name}_step{result.step:06d}.png"))


def _checkpointer(config, workdir):
  return checkpointing.Checkpointer(os.path.join(workdir, "checkpoints"), config.keep_checkpoints)


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str, mesh=None):
  """Trains (or resumes) to ``config.num_train_steps``; returns the final state."""
  workdir = os.path.abspath(workdir)
  os.makedirs(workdir, exist_ok=True)
  exp = Experiment(config, mesh)
  ckpt = _checkpointer(config, workdir)
  meta = exp.meta()
  state, start = None, 0
  try:
    source = exp.load_split("train")
    if ckpt.latest_step() is not None:
      state, start = ckpt.restore(exp.abstract_state_for(len(source)), meta)
      if state is None:
        logging.warning("Starting from step 0.")
        start = 0
      else:
        logging.info("Resuming from step %d", start)
    if state is None:
      state = exp.init_state(len(source))
  except GanJaxError:
    ckpt.close()
    raise
  _save_config(config, workdir)
  total = config.num_train_steps
  if start >= total:
    logging.info("Checkpoint is at step %d >= num_train_steps=%d: nothing to train.", start, total)
    ckpt.close()
    missing = evaluators.missing_final_results(workdir, config.evals.to_dict(), start)
    if missing:  # stopped during its final evaluation: run what is missing
      logging.info("No final result of %s at step %d: evaluating now.", ", ".join(missing), start)
      _final_evaluations(exp, [e for e in exp.evaluators() if e.name in missing], state, start,
                         workdir)
    return state

  evals = exp.evaluators()
  for ev in evals:
    ev.prepare()  # weights are fetched now, not after training
  batches = None if exp.uses_threshold else exp.train_batches(source, start, total)
  epoch_end = None

  writer = _writer(workdir)
  if start == 0:
    writer.write_hparams(traverse_util.flatten_dict(config.to_dict(), sep="."))
  progress = reporting.Progress(start, total)
  metrics = _Metrics(config.log_scalars, ckpt.latest_step, ckpt.directory)
  grid_z, grid_y, grid_cols = exp.grid_inputs(config.num_grid_samples, config.seed)

  def log(step, final):
    scalars = metrics.scalars()
    line = progress.line(step, scalars)
    if progress.last_rate:
      scalars["steps_per_sec"] = progress.last_rate
    writer.write_scalars(step, scalars)
    progress.clear_bar()
    logging.info("%s", line)

  def sample_grid(step, final):
    grid = images.make_grid(exp.sample(state, grid_z, grid_y), ncol=grid_cols)
    if jax.process_index() == 0:
      images.save_png(grid, os.path.join(workdir, "samples", f"step_{step:06d}.png"))
    writer.write_images(step, {"samples": grid[None]})

  def checkpoint(step, final):
    ckpt.save(step, state, meta)

  def evaluate(ev):
    def run(step, final):
      if final:
        ckpt.wait()  # the trained model is safe on disk before the long evaluation
      result = ev.evaluate(exp.samples(state), step, final)
      writer.write_scalars(step, {("final_" if final else "") + k: v
                                  for k, v in result.scalars.items()})
      if result.images:
        writer.write_images(step, {f"{ev.name}/{k}": v[None] for k, v in result.images.items()})
      _save_eval_images(workdir, result)
      evaluators.append_result(workdir, result.record())
      progress.clear_bar()
      logging.info("Step %d: %s on %d samples (%.0fs)%s", step, result.describe(),
                   result.num_samples, result.seconds, " [final]" if final else "")
    return run

  actions = [
      PeriodicAction("log", config.log_every, log, on_stop=True),
      PeriodicAction("sample_grid", config.sample_every, sample_grid),
      PeriodicAction("checkpoint", config.checkpoint_every, checkpoint, on_stop=True),
      *[PeriodicAction(f"eval/{ev.name}", ev.every, evaluate(ev), at_end=ev.final) for ev in evals],
  ]

  try:
    with _StopRequest() as stop:
      t0 = time.time()
      for step in range(start + 1, total + 1):
        if exp.uses_threshold and (epoch_end is None or step - 1 >= epoch_end):
          # the real-image threshold: one pipeline per epoch; an epoch that is over (here, or
          # in the checkpoint resumed from) starts the next from its recorded losses
          epoch, epoch_start, kept, epoch_steps = exp.epoch_range(state)
          while step - 1 >= epoch_start + epoch_steps:
            state = exp.next_epoch(state, step - 1)
            epoch, epoch_start, kept, epoch_steps = exp.epoch_range(state)
          epoch_end = epoch_start + epoch_steps
          batches = exp.train_batches(source, step - 1, min(epoch_end, total), kept, epoch,
                                      epoch_start)
          writer.write_scalars(step, {"kept_real_images": float(len(kept))})
        batch = exp.put_batch(next(batches))
        state, step_metrics = exp.train_step(state, batch)
        metrics.add(step, step_metrics)
        if step == start + 1:
          jax.block_until_ready(step_metrics)
          logging.info("First step (with compilation) took %.1fs", time.time() - t0)
          progress.start(step)
        # Many processes agree on stopping (a collective) only at log steps.
        stopping = ((jax.process_count() == 1 or step % config.log_every == 0)
                    and stop.requested())
        due = [a for a in actions if a.due(step, total, stopping)]
        if due:
          metrics.sync()  # a non-finite loss stops the run before anything is logged or saved
        for action in due:
          with progress.paused() if action.name != "log" else contextlib.nullcontext():
            action.run(step, step == total)
        progress.bar(step)
        if stopping:
          logging.warning("Stopped at step %d; checkpoint saved. Run the same command to resume.",
                          step)
          break
  finally:
    progress.clear_bar()
    ckpt.close()  # waits for in-flight saves, also when a non-finite loss stops the run
    writer.close()
  return state


def restore_for_inference(exp: Experiment, workdir: str):
  """``(state, step)`` of the newest checkpoint in ``workdir``."""
  ckpt = _checkpointer(exp.config, os.path.abspath(workdir))
  try:
    abstract = (exp.abstract_state_for(len(exp.load_split("train"))) if exp.uses_threshold
                else exp.abstract_state)
    return ckpt.restore(abstract, exp.meta(), fall_back=False)
  finally:
    ckpt.close()


def sample(config: ml_collections.ConfigDict, workdir: str, mesh=None, labels: str = "") -> str:
  """Restores the newest checkpoint and writes a grid of ``num_samples`` samples: one row
  per class (or per test condition) for conditional models, or per label of ``labels``
  (``Experiment.parse_labels``)."""
  workdir = os.path.abspath(workdir)
  exp = Experiment(config, mesh)
  asked = exp.parse_labels(labels) if labels else None
  state, step = restore_for_inference(exp, workdir)
  z, y, cols = exp.grid_inputs(config.num_samples, config.sample_seed, asked)
  samples = exp.sample(state, z, y)
  base = os.path.join(workdir, "samples", f"sample_step{step:06d}_seed{config.sample_seed}")
  if jax.process_index() == 0:
    images.save_png(images.make_grid(samples, ncol=cols), base + ".png")
    extra = {} if y is None else {"labels": np.asarray(y)}
    np.savez_compressed(base + ".npz", images=images.to_uint8(samples), **extra)
    logging.info("Wrote %d samples from step %d to %s.png (and .npz)", len(samples), step, base)
  return base + ".png"


def evaluate(config: ml_collections.ConfigDict, workdir: str, mesh=None) -> dict:
  """Runs every enabled evaluator's final protocol on the newest checkpoint; returns
  ``{"step": ..., <every metric>: ...}`` and appends each result to results.json."""
  workdir = os.path.abspath(workdir)
  exp = Experiment(config, mesh)
  evals = exp.evaluators()
  if not evals:
    raise GanJaxError("No evaluator is enabled: set --config.evals.<name>.final=True "
                      f"(evaluators: {sorted(config.evals.keys())}).")
  state, step = restore_for_inference(exp, workdir)
  return {"step": step, **_final_evaluations(exp, evals, state, step, workdir)}


def _final_evaluations(exp, evals, state, step, workdir) -> dict:
  """Runs ``evals``' final protocol on ``state``, appending each result to results.json;
  returns every metric."""
  for ev in evals:
    ev.prepare()
  out = {}
  for ev in evals:
    result = ev.evaluate(exp.samples(state), step, True)
    _save_eval_images(workdir, result)
    evaluators.append_result(workdir, result.record())
    logging.info("Step %d: %s: %s (%.0fs); appended to %s/results.json", step, ev.name,
                 result.describe(), result.seconds, workdir)
    out.update(result.scalars)
  return out
