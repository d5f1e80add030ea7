"""A single run: ``train_and_evaluate(config, workdir)`` builds the experiment and runs its
session (``training.session``, the one a seed ensemble runs too): the newest readable
checkpoint in ``workdir`` resumed (or a fresh start), training to ``config.num_train_steps``,
and a run whose steps are done but whose final evaluation is not (it was stopped) evaluating
what is missing.
"""

import ml_collections

from gan_jax.runs.run_folder import RunFolder
from gan_jax.training import loop, session, signals
from gan_jax.training.build import Experiment


def step_functions(exp: Experiment) -> loop.StepFunctions:
  """The loop's view of a single run: one member, the state itself."""
  return loop.StepFunctions(step=exp.train_step, member_state=lambda state, i: state,
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
    exp = Experiment(config, mesh)
    source = exp.data.train_source()
    plan = session.Plan(
        checkpoints=run.checkpoints, abstract=lambda: exp.abstract_state_for(len(source)),
        meta=exp.meta(), init=lambda: exp.init_state(len(source)),
        members=[(run, config.seed, config)], fns=step_functions(exp),
        grid_inputs=lambda seed: exp.sampling.grid_inputs(config.num_grid_samples, seed),
        evals=exp.evaluators())
    state = session.run(config, plan, stop,
                        make_feed=lambda start, total: _feed(exp, source, start, total))
  stop.raise_if_stopped()
  return state
