"""One training session, the same for a single run and a seed ensemble: the checkpoint resumed
(or the state initialised), each member's run folder written (config.json, code.json) and its
TensorBoard writer open, the evaluators prepared, the hyper-parameters written once, the loop
(``training.loop``) run, the finals a stopped run still lacks evaluated, and everything closed
however it ends. A single run is one member whose state is the state itself; an ensemble's
members are the seeds of a stacked state (``training.seed_ensemble``).
"""

import dataclasses
import os
from typing import Any, Callable

from absl import logging
from flax import traverse_util

from gan_jax.runs import checkpoints
from gan_jax.training import loop, signals
from gan_jax.utils import disk
from gan_jax.utils.errors import GanJaxError


@dataclasses.dataclass(frozen=True)
class Plan:
  """What a session trains: the state's checkpoints and how to make or restore the state,
  the members (run folder, seed, config), the loop's step functions and the evaluators."""
  checkpoints: str                 # the folder of the (stacked) state's checkpoints
  abstract: Callable[[], Any]      # the restore target (may read the training split's size)
  meta: dict                       # what a checkpoint must match (runs.checkpoints.describe)
  init: Callable[[], Any]          # a fresh state
  members: list                    # [(RunFolder, seed, the member's config)]
  fns: loop.StepFunctions
  grid_inputs: Callable[[int], tuple]  # seed -> the fixed sample grid's (z, y, columns)
  evals: list
  what: str = ""                   # names the state in the log ("the ensemble ")


def parameter_tables(state) -> str:
  """G's and D's parameters as clu's overview tables (name, shape, dtype, size; a total line),
  and one line of both totals in the log."""
  import jax
  from clu import parameter_overview
  g, d = jax.device_get(state.g_params), jax.device_get(state.d_params)
  logging.info("Parameters: G %s, D %s (the tables: parameters.txt in the run folder)",
               f"{parameter_overview.count_parameters(g):,}",
               f"{parameter_overview.count_parameters(d):,}")
  return (f"Generator\n{parameter_overview.get_parameter_overview(g, include_stats=False)}\n\n"
          f"Discriminator\n{parameter_overview.get_parameter_overview(d, include_stats=False)}\n")


def run(config, plan: Plan, stop: signals.StopRequest, make_feed,
        before_finals: Callable[[Any, list], None] | None = None):
  """Trains ``plan`` to ``config.num_train_steps``; returns the final state, or None when a
  stop signal cut the session short (its checkpoint is saved). ``make_feed(start, total)``
  gives the loop's ``feed``; ``before_finals(state, members)`` runs once the steps are done,
  before the finals a stopped run lacks are evaluated."""
  ckpt = checkpoints.Checkpointer(plan.checkpoints, config.keep_checkpoints)
  try:
    state, start = ckpt.resume(plan.abstract(), plan.meta, plan.init, what=plan.what)
  except GanJaxError:
    ckpt.close()
    raise
  for folder, seed, member_config in plan.members:
    folder.write_config(member_config)
    folder.record_code(start)
  disk.check_space(os.path.dirname(os.path.abspath(plan.checkpoints)),
                   checkpoints.footprint(state, config.keep_checkpoints),
                   f"{config.keep_checkpoints} checkpoints")
  tables = parameter_tables(plan.fns.member_state(state, 0))
  for folder, _, _ in plan.members:
    folder.write_parameters(tables)
  members = [loop.Member(folder, seed, folder.writer(), plan.grid_inputs(seed))
             for folder, seed, _ in plan.members]
  total = config.num_train_steps
  with stop:  # the handlers stay until every save is on disk: a repeated signal never cuts one
    try:
      if start >= total:
        logging.info("Checkpoint is at step %d >= num_train_steps=%d: nothing to train.",
                     start, total)
      else:
        if not loop.prepare(plan.evals, stop):
          return None
        if start == 0:
          for m, (_, _, member_config) in zip(members, plan.members):
            m.writer.write_hparams(traverse_util.flatten_dict(member_config.to_dict(), sep="."))
        state, _, stopped = loop.train(
            plan.fns, state, start, total, feed=make_feed(start, total), members=members,
            ckpt=ckpt, meta=plan.meta, evals=plan.evals, schedule=loop.Schedule.of(config),
            stop=stop)
        if stopped:
          return None
      ckpt.wait()
      if before_finals is not None:
        before_finals(state, members)
      if not loop.evaluate_missing(plan.fns, state, max(start, total), members, plan.evals,
                                   config.evals.to_dict(), stop):
        return None
    finally:
      ckpt.close()  # waits for in-flight saves, also when a non-finite loss stops the run
      for m in members:
        m.writer.close()
  return state
