"""Seed ensembles in one program: K copies of one config, differing only in their seed, trained
together by ``jax.vmap`` over the training state inside one jitted step.

  python -m gan_jax.ensemble --config=configs/mlp_mnist.py --seeds=0,1,2,3 \\
      [--workdir=runs/mlp_mnist_ensemble] [--config.num_train_steps=2000]

Member i is the run ``python -m gan_jax.main --config=... --config.seed=<seeds[i]>`` would
make: its own initial weights, noise and data order (each member reads its own input
pipeline, seeded as a single run's), the same steps; the states are stacked on a leading
axis and the batches too ((K, d_steps, B, ...), the batch axis sharded over the ('data',)
mesh as a single run's). At the end each member is written as an ordinary run,
``<workdir>/seed<s>/`` (config.json, an orbax checkpoint, a sample grid), and the config's
final evaluators run on each; so ``--mode=sample/eval/interpolate`` work on a member and
``python -m gan_jax.collect <workdir>`` gives mean +- std over the seeds. The terminal shows
every logged metric as the members' mean and spread.

Not for the real-image threshold (its epochs differ per member); every other config works.
Checkpoints are written at the end only: an interrupted ensemble starts again.
"""

import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging
from jax.sharding import NamedSharding, PartitionSpec as P

from gan_jax import evaluators, images, parallel, reporting
from gan_jax.errors import ConfigError
from gan_jax.experiment import Experiment


def member(tree, i: int):
  return jax.tree.map(lambda x: x[i], tree)


class Ensemble:
  """An Experiment's steps vmapped over K stacked states."""

  def __init__(self, config, seeds, mesh=None):
    if len(seeds) < 1 or len(set(seeds)) != len(seeds):
      raise ConfigError(f"--seeds needs distinct seeds, got {list(seeds)}.")
    self.exp = Experiment(config, mesh)
    if self.exp.uses_threshold:
      raise ConfigError("an ensemble cannot use the real-image threshold "
                        "(data.real_threshold.enabled); train its members one by one.")
    self.seeds = [int(s) for s in seeds]
    mesh = self.exp.mesh
    repl = parallel.replicated(mesh)
    self.batch_sharding = NamedSharding(mesh, P(None, None, "data"))
    self.init = jax.jit(jax.vmap(self.exp.init_fn), out_shardings=repl)
    self.train_step = jax.jit(jax.vmap(self.exp.step_fn),
                              in_shardings=(repl, self.batch_sharding),
                              out_shardings=(repl, repl), donate_argnums=0)

  def init_states(self):
    return self.init(jnp.stack([jax.random.PRNGKey(s) for s in self.seeds]))

  def batches(self, source, start: int, total: int):
    """Stacked batches (K, d_steps, B, ...): member i's from a pipeline seeded seeds[i]."""
    its = [self.exp.train_batches(source, start, total, seed=s) for s in self.seeds]
    while True:
      parts = [next(it, None) for it in its]
      if any(p is None for p in parts):
        return
      local = jax.tree.map(lambda *xs: np.stack(xs), *parts)
      yield self.put(local)

  def put(self, local: dict) -> dict:
    return parallel.host_local_to_global(local, self.exp.mesh, batch_axis=2)


def member_config(config, seed: int):
  c = config.copy_and_resolve_references()
  c.unlock()
  c.seed = seed
  c.lock()
  return c


def train(config, workdir: str, seeds, mesh=None) -> list[str]:
  """Trains the ensemble for ``config.num_train_steps``; writes each member as a run under
  ``<workdir>/seed<s>`` and runs the final evaluators on it; returns the members' workdirs."""
  from gan_jax.train import _checkpointer, _save_config
  workdir = os.path.abspath(workdir)
  ens = Ensemble(config, seeds, mesh)
  exp = ens.exp
  source = exp.load_split("train")
  evals = exp.evaluators()
  for ev in evals:
    if ev.final:
      ev.prepare()
  total = config.num_train_steps
  states = ens.init_states()
  batches = ens.batches(source, 0, total)
  progress = reporting.Progress(0, total)
  k = len(ens.seeds)
  logging.info("Ensemble of %d members (seeds %s), %d steps", k, ens.seeds, total)
  t0, pending = time.time(), []
  for step in range(1, total + 1):
    states, metrics = ens.train_step(states, next(batches))
    pending.append(metrics)
    if step == 1:
      jax.block_until_ready(metrics)
      logging.info("First step (with compilation) took %.1fs", time.time() - t0)
      progress.start(step)
    if step % config.log_every == 0 or step == total:
      got = jax.device_get(pending)
      pending = []
      finite = np.all([np.all(m["finite"]) for m in got])
      if not finite:
        bad = [ens.seeds[i] for i in range(k) if not all(m["finite"][i] for m in got)]
        raise ConfigError(f"non-finite loss at or before step {step} in the members with seeds "
                          f"{bad}; lower the learning rate or check the data.")
      mean = {name: np.mean([m[name] for m in got], axis=0) for name in got[0]
              if name != "finite"}
      rate = progress.rate(step)
      head = (f"step {step}/{total}" + (f" | {rate:.2f} steps/s ({rate * k:.2f} member-steps/s)"
                                        if rate else ""))
      logging.info("%s | %s", head, " ".join(
          f"{n} {reporting.format_value(float(v.mean()))}±{reporting.format_value(float(v.std()))}"
          for n, v in ((n, mean[n]) for n in reporting.ordered(mean))))

  written = []
  for i, seed in enumerate(ens.seeds):
    cfg = member_config(config, seed)
    wd = os.path.join(workdir, f"seed{seed}")
    os.makedirs(wd, exist_ok=True)
    _save_config(cfg, wd)
    state = member(states, i)
    ckpt = _checkpointer(cfg, wd)
    try:
      ckpt.save(total, state, exp.meta())
      ckpt.wait()
    finally:
      ckpt.close()
    z, y, cols = exp.grid_inputs(config.num_grid_samples, seed)
    if jax.process_index() == 0:
      images.save_png(images.make_grid(exp.sample(state, z, y), ncol=cols),
                      os.path.join(wd, "samples", f"step_{total:06d}.png"))
    for ev in evals:
      if ev.final:
        result = ev.evaluate(exp.samples(state), total, True)
        evaluators.append_result(wd, result.record())
        logging.info("seed %d, step %d: %s on %d samples (%.0fs) [final]", seed, total,
                     result.describe(), result.num_samples, result.seconds)
    written.append(wd)
  logging.info("Wrote %d members under %s (python -m gan_jax.collect %s)", k, workdir, workdir)
  return written


def _error(message: str):
  print(f"gan_jax.ensemble: error: {message}", file=sys.stderr)
  sys.exit(1)


def main(argv):
  from absl import flags
  from ml_collections import config_flags
  FLAGS = flags.FLAGS
  if len(argv) > 1:
    raise ValueError(f"Unexpected arguments: {argv[1:]}")
  reporting.configure_terminal(FLAGS.verbosity)
  from gan_jax.data import pipeline
  from gan_jax.errors import GanJaxError
  pipeline.hide_gpus_from_tf()
  try:
    seeds = [int(s) for s in FLAGS.seeds.split(",") if s.strip()]
  except ValueError:
    _error(f"--seeds needs comma-separated integers, got {FLAGS.seeds!r}")
  path = config_flags.get_config_filename(FLAGS["config"])
  name = os.path.splitext(os.path.basename(path.partition(".py:")[0] + ".py"))[0]
  workdir = FLAGS.workdir or os.path.join("runs", f"{name}_ensemble")
  try:
    train(FLAGS.config, workdir, seeds)
  except GanJaxError as e:
    logging.error("%s", e)
    _error(str(e))


def run():
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
  from absl import app, flags
  from ml_collections import config_flags
  config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py).",
                                  lock_config=True)
  flags.DEFINE_string("workdir", None, "Where the members go (default: runs/<config>_ensemble).")
  flags.DEFINE_string("seeds", "0,1,2,3", "The members' seeds, comma-separated.")
  flags.mark_flags_as_required(["config"])
  app.run(main)


if __name__ == "__main__":
  sys.exit(run())
