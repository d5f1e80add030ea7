"""A single run: ``train_and_evaluate(config, workdir)`` builds the experiment, restores the
newest readable checkpoint in ``workdir`` (or starts fresh) and trains to
``config.num_train_steps`` with the shared loop (``training.loop``); a run whose steps are
done but whose final evaluation is not (it was stopped) evaluates what is missing.
"""

import ml_collections
from absl import logging
from flax import traverse_util

from gan_jax.runs.run_folder import RunFolder
from gan_jax.runs import checkpoints
from gan_jax.training import loop, signals
from gan_jax.training.build import Experiment
from gan_jax.utils import disk
from gan_jax.utils.errors import GanJaxError


def checkpointer(run: RunFolder, keep: int) -> checkpoints.Checkpointer:
  return checkpoints.Checkpointer(run.checkpoints, keep)


def trainer(exp: Experiment) -> loop.Trainer:
  """The loop's view of a single run: one member, the state itself."""
  return loop.Trainer(step=exp.train_step, member_state=lambda state, i: state,
                      sample=exp.sampling.sample, samples=exp.sampling.samples, stacked=False)


def _feed(exp: Experiment, source, start: int, total: int):
  """The loop's batches: one pipeline, or with the real-image threshold one per epoch (an
  epoch that is over, here or in the checkpoint resumed from, starts the next from its
  recorded losses)."""
  if exp.threshold is None:
    batches = exp.data.train_batches(source, start, total)
    return lambda step, state: (state, exp.put_batch(next(batches)), None)
  current = {"end": None, "batches": None}

  def feed(step, state):
    extra = None
    if current["end"] is None or step - 1 >= current["end"]:
      epoch, epoch_start, kept, epoch_steps = exp.threshold.epoch_range(state)
      while step - 1 >= epoch_start + epoch_steps:
        state = exp.threshold.next_epoch(state, step - 1)
        epoch, epoch_start, kept, epoch_steps = exp.threshold.epoch_range(state)
      current["end"] = epoch_start + epoch_steps
      current["batches"] = exp.data.train_batches(source, step - 1, min(current["end"], total),
                                             kept, epoch, epoch_start)
      extra = {"kept_real_images": float(len(kept))}
    return state, exp.put_batch(next(current["batches"])), extra
  return feed


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str, mesh=None):
  """Trains (or resumes) to ``config.num_train_steps``; returns the final state. Holds the
  run folder while it writes (a second process on it stops at once); a run stopped by a
  signal saves its checkpoint and raises ``signals.Stopped``."""
  run = RunFolder(workdir)
  with run.writing():
    stop = signals.StopRequest()
    state = _train(config, run, mesh, stop)
  stop.raise_if_stopped()
  return state


def _train(config, run: RunFolder, mesh, stop: signals.StopRequest):
  exp = Experiment(config, mesh)
  ckpt = checkpointer(run, config.keep_checkpoints)
  try:
    source = exp.data.train_source()
    state, start = ckpt.resume(exp.abstract_state_for(len(source)), exp.meta(),
                               lambda: exp.init_state(len(source)))
  except GanJaxError:
    ckpt.close()
    raise
  run.write_config(config)
  run.record_code(start)
  disk.check_space(run.path, checkpoints.footprint(state, config.keep_checkpoints),
                   f"{config.keep_checkpoints} checkpoints")
  writer = run.writer()
  member = loop.Member(run, config.seed, writer,
                       exp.sampling.grid_inputs(config.num_grid_samples, config.seed))
  total = config.num_train_steps
  # the handlers stay until every save is on disk: a repeated signal never cuts one short
  with stop:
    try:
      if start >= total:
        logging.info("Checkpoint is at step %d >= num_train_steps=%d: nothing to train.",
                     start, total)
        loop.evaluate_missing(trainer(exp), state, start, [member], exp.evaluators(),
                              config.evals.to_dict(), stop)
        return state
      evals = exp.evaluators()
      if not loop.prepare(evals, stop):
        return state
      if start == 0:
        writer.write_hparams(traverse_util.flatten_dict(config.to_dict(), sep="."))
      state, _, _ = loop.train(
          trainer(exp), state, start, total, feed=_feed(exp, source, start, total),
          members=[member], ckpt=ckpt, meta=exp.meta(), evals=evals,
          schedule=loop.Schedule.of(config), stop=stop)
    finally:
      ckpt.close()  # waits for in-flight saves, also when a non-finite loss stops the run
      writer.close()
  return state
