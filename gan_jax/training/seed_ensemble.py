"""Seed ensembles in one program: K copies of one config, differing only in their seed, trained
together inside one jitted step: ``jax.vmap`` over the stacked training states, or the
single run's step unrolled K times in the program (the CPU default for convolutional GANs,
see ``resolve_strategy``).

Member i is the run ``python -m gan_jax.main --config=... --config.seed=<seeds[i]>`` would
make: its own initial weights, noise and data order (each member reads its own input
pipeline, seeded as a single run's), the same steps; the states are stacked on a leading
axis and the batches too ((K, d_steps, B, ...), the batch axis sharded over the ('data',)
mesh as a single run's). The loop is the single run's (``training.loop``): each member has its
run folder ``<workdir>/seed<s>/`` from the start (config.json, TensorBoard scalars, sample
grids, evaluations), and the stacked state is checkpointed every ``checkpoint_every`` steps in
``<workdir>/checkpoints``, so a killed ensemble resumes exactly. At the end each member's
state is also written as an ordinary checkpoint of its run folder, so ``--mode=sample/eval/
interpolate`` work on a member and ``python -m gan_jax.collect <workdir>`` gives mean +- std
over the seeds.

Not for the real-image threshold (its epochs differ per member); every other config works.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from gan_jax.runs.run_folder import RunFolder
from gan_jax.runs import checkpoints
from gan_jax.training import loop, session, signals
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError


def member(tree, i: int):
  return jax.tree.map(lambda x: x[i], tree)


STRATEGIES = ("auto", "vmap", "unroll")


def resolve_strategy(strategy: str, model: str) -> str:
  """``auto``: ``unroll`` for convolutional GANs on the CPU, else ``vmap``.

  ``vmap`` turns the members' convolutions into grouped convolutions, which XLA:CPU runs
  slower than K plain ones (dcgan_mnist, K = 4: 0.43x the members one after another);
  ``unroll`` puts K copies of the single run's step in the one program, independent of each
  other (0.98-1.04x); ``lax.map`` over the members ran convolutions inside a loop at 0.09x.
  MLPs vmap well on the CPU (1.28x), and the batched form fills a GPU
  (``benchmarks/ensemble_benchmark.py``, docs/experiments.md)."""
  if strategy not in STRATEGIES:
    raise ConfigError(f"unknown ensemble strategy {strategy!r}; one of {', '.join(STRATEGIES)}.")
  if strategy == "auto":
    return "unroll" if jax.default_backend() == "cpu" and model != "mlp" else "vmap"
  return strategy


class Ensemble:
  """An Experiment's steps over K stacked states: vmapped, or unrolled member by member."""

  def __init__(self, config, seeds, mesh=None, strategy: str = "auto"):
    if len(seeds) < 1 or len(set(seeds)) != len(seeds):
      raise ConfigError(f"--seeds needs distinct seeds, got {list(seeds)}.")
    self.exp = Experiment(config, mesh)
    if self.exp.threshold is not None:
      raise ConfigError("an ensemble cannot use the real-image threshold "
                        "(data.real_threshold.enabled); train its members one by one.")
    self.seeds = [int(s) for s in seeds]
    self.strategy = resolve_strategy(strategy, config.model.name)
    mesh = self.exp.mesh
    repl = parallel.replicated(mesh)
    self.batch_sharding = NamedSharding(mesh, P(None, None, "data"))
    self.init = jax.jit(jax.vmap(self.exp.init_fn), out_shardings=repl)
    if self.strategy == "vmap":
      step = jax.vmap(self.exp.step_fn)
    else:  # unroll: K copies of the single run's step, independent, in one program
      def step(states, batches):
        outs = [self.exp.step_fn(member(states, i), member(batches, i))
                for i in range(len(self.seeds))]
        return jax.tree.map(lambda *xs: jnp.stack(xs), *outs)
    self.train_step = jax.jit(step,
                              in_shardings=(repl, self.batch_sharding),
                              out_shardings=(repl, repl), donate_argnums=0)
    self.abstract_states = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=repl),
        jax.eval_shape(jax.vmap(self.exp.init_fn), self._keys()))

  def _keys(self):
    return jnp.stack([jax.random.PRNGKey(s) for s in self.seeds])

  def init_states(self):
    return self.init(self._keys())

  def meta(self) -> dict:
    """A member's checkpoint record, with the seeds: an ensemble resumes only itself."""
    return {**self.exp.meta(), "ensemble_seeds": self.seeds}

  def batches(self, source, start: int, total: int):
    """Stacked batches (K, d_steps, B, ...): member i's from a pipeline seeded seeds[i]."""
    its = [self.exp.data.train_batches(source, start, total, seed=s) for s in self.seeds]
    while True:
      parts = [next(it, None) for it in its]
      if any(p is None for p in parts):
        return
      local = jax.tree.map(lambda *xs: np.stack(xs), *parts)
      yield self.put(local)

  def put(self, local: dict) -> dict:
    return parallel.host_local_to_global(local, self.exp.mesh, batch_axis=2)

  def step_functions(self) -> loop.StepFunctions:
    return loop.StepFunctions(step=self.train_step, member_state=member, sample=self.exp.sampling.sample,
                        samples=self.exp.sampling.samples, stacked=True)


def member_config(config, seed: int):
  c = config.copy_and_resolve_references()
  c.unlock()
  c.seed = seed
  c.lock()
  return c


def _write_members(ens: Ensemble, states, members: list[loop.Member], step: int, keep: int):
  """Each member's state as an ordinary checkpoint of its run folder (where not yet there)."""
  for i, m in enumerate(members):
    ckpt = checkpoints.Checkpointer(m.run.checkpoints, keep)
    try:
      if ckpt.latest_step() != step:
        ckpt.save(step, member(states, i), ens.exp.meta())
        ckpt.wait()
    finally:
      ckpt.close()


def train(config, workdir: str, seeds, mesh=None, strategy: str = "auto") -> list[str]:
  """Trains (or resumes) the ensemble to ``config.num_train_steps``; writes each member as a
  run under ``<workdir>/seed<s>`` and runs the final evaluators on it; returns the members'
  workdirs. Holds ``workdir`` while it writes; a stop signal saves and raises
  ``signals.Stopped`` (run it again to resume)."""
  root = RunFolder(workdir)
  with root.writing():
    stop = signals.StopRequest()
    members = _train(config, root, seeds, mesh, strategy, stop)
  stop.raise_if_stopped()
  return members


def _train(config, root: RunFolder, seeds, mesh, strategy: str, stop) -> list[str]:
  ens = Ensemble(config, seeds, mesh, strategy)
  exp = ens.exp
  source = exp.data.train_source()
  runs = [(RunFolder(os.path.join(root.path, f"seed{seed}")), seed, member_config(config, seed))
          for seed in ens.seeds]
  plan = session.Plan(
      checkpoints=root.checkpoints, abstract=lambda: ens.abstract_states, meta=ens.meta(),
      init=ens.init_states, members=runs, fns=ens.step_functions(),
      grid_inputs=lambda seed: exp.sampling.grid_inputs(config.num_grid_samples, seed),
      evals=exp.evaluators(), what="the ensemble ")
  total = config.num_train_steps
  logging.info("Ensemble of %d members (seeds %s), %d steps, members %s", len(ens.seeds), ens.seeds,
               total, "vmapped" if ens.strategy == "vmap" else "unrolled in the step")

  def feed_from(start, total):
    batches = ens.batches(source, start, total)
    return lambda step, s: (s, next(batches), None)

  def write_members(states, members):
    _write_members(ens, states, members, total, config.keep_checkpoints)

  if session.run(config, plan, stop, feed_from, before_finals=write_members) is None:
    return []
  logging.info("Wrote %d members under %s (python -m gan_jax.collect %s)", len(runs),
               root.path, root.path)
  return [r.path for r, _, _ in runs]
