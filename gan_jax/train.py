"""Training, evaluation-free sampling and the loop around the pure steps.

``train_and_evaluate(config, workdir)`` is the whole job: it resolves the data,
builds the models, restores the newest checkpoint in ``workdir`` (or starts
fresh), trains to ``config.num_train_steps`` with progress, scalars, sample grids
and checkpoints, and saves on SIGINT/SIGTERM before returning.
"""

import functools
import os
import signal
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging
from flax import traverse_util
from clu import metric_writers, periodic_actions

from gan_jax import checkpointing, data, evaluation, images, input_pipeline, losses, models
from gan_jax import parallel, steps
from gan_jax import train_state
from gan_jax.errors import ConfigError, NonFiniteLossError

GRID_NOISE_SALT = 0x6772  # fixed-noise grid: fold_in(PRNGKey(seed), salt)
LOGGED = ("d_loss", "g_loss", "D_x", "D_G_z1", "D_G_z2")


class Experiment:
  """Models, optimizers, loss and jitted steps for one config on one mesh."""

  def __init__(self, config: ml_collections.ConfigDict, mesh=None):
    self.config = config
    self.mesh = mesh or parallel.make_mesh()
    spec = data.get_spec(config.data.name)
    self.channels = spec.channels
    self.image_shape = (config.data.image_size, config.data.image_size, spec.channels)
    try:
      self.generator, self.discriminator = models.build(config.model, spec.channels,
                                                        config.data.image_size)
      self.loss = losses.get(config.loss.name)
      self.g_tx = train_state.make_optimizer(config.g_optimizer)
      self.d_tx = train_state.make_optimizer(config.d_optimizer)
    except ValueError as e:
      raise ConfigError(str(e)) from None
    if config.loss.d_steps < 1:
      raise ConfigError(f"loss.d_steps must be >= 1, got {config.loss.d_steps}.")
    parallel.check_batch_size(config.data.batch_size, self.mesh)

    repl = parallel.replicated(self.mesh)
    init = functools.partial(
        train_state.create_state, generator=self.generator, discriminator=self.discriminator,
        g_tx=self.g_tx, d_tx=self.d_tx, loss=self.loss, config=config, image_shape=self.image_shape)
    self._init = jax.jit(init, out_shardings=repl)
    self.abstract_state = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=repl),
        jax.eval_shape(init, jax.random.PRNGKey(0)))
    step = functools.partial(
        steps.train_step, generator=self.generator, discriminator=self.discriminator,
        g_tx=self.g_tx, d_tx=self.d_tx, loss=self.loss, config=config)
    self.train_step = jax.jit(
        step, in_shardings=(repl, parallel.batch_sharding(self.mesh)),
        out_shardings=(repl, repl), donate_argnums=0)
    self._sample = jax.jit(
        functools.partial(steps.sample_step, generator=self.generator,
                          use_ema=config.ema_decay > 0),
        out_shardings=repl)

  def init_state(self):
    return self._init(jax.random.PRNGKey(self.config.seed))

  def meta(self) -> dict:
    return checkpointing.describe(self.config, self.abstract_state)

  def sample(self, state, z):
    return np.asarray(jax.device_get(self._sample(state, z)))

  def grid_noise(self, n: int, seed: int):
    key = jax.random.fold_in(jax.random.PRNGKey(seed), GRID_NOISE_SALT)
    return jax.random.normal(key, (n, self.config.model.latent_dim), jnp.float32)


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


def _save_config(config, workdir):
  if jax.process_index() == 0:
    with open(os.path.join(workdir, "config.json"), "w") as f:
      f.write(config.to_json_best_effort(indent=2, sort_keys=True))


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str, mesh=None):
  """Trains (or resumes) to ``config.num_train_steps``; returns the final state."""
  workdir = os.path.abspath(workdir)
  os.makedirs(workdir, exist_ok=True)
  exp = Experiment(config, mesh)
  ckpt = checkpointing.Checkpointer(os.path.join(workdir, "checkpoints"), config.keep_checkpoints)
  meta = exp.meta()
  if ckpt.latest_step() is not None:
    state, start = ckpt.restore(exp.abstract_state, meta)
    logging.info("Resuming from step %d", start)
  else:
    state, start = exp.init_state(), 0
  _save_config(config, workdir)
  total = config.num_train_steps
  if start >= total:
    logging.info("Checkpoint is at step %d >= num_train_steps=%d: nothing to train.", start, total)
    ckpt.close()
    return state

  evaluator = None
  if config.eval.every > 0 or config.eval.final:
    evaluator = evaluation.GeneratorEvaluator(config, exp.mesh)
    _ = evaluator.extractor  # loads (or fetches) the Inception weights now, not after training

  split = data.load_split(config.data, "train")
  if split.images.shape[-1] != exp.channels:
    raise ConfigError(f"{config.data.name} images have {split.images.shape[-1]} channels, "
                      f"expected {exp.channels}.")
  batches = input_pipeline.create_train_iterator(config, split, start, total)

  writer = metric_writers.create_default_writer(
      workdir, just_logging=jax.process_index() > 0, asynchronous=True)
  if start == 0:
    writer.write_hparams(traverse_util.flatten_dict(config.to_dict(), sep="."))
  progress = periodic_actions.ReportProgress(
      num_train_steps=total, writer=writer, every_steps=config.log_every, every_secs=None)
  grid_z = exp.grid_noise(config.num_grid_samples, config.seed)
  pending: list[tuple[int, dict]] = []

  def flush(step):
    """Checks finiteness of every pending step and logs their means."""
    if not pending:
      return
    values = jax.device_get([m for _, m in pending])
    for (s, _), m in zip(pending, values):
      if not m["finite"]:
        last = ckpt.latest_step()
        raise NonFiniteLossError(
            f"Non-finite loss at step {s} (d_loss={m['d_loss']}, g_loss={m['g_loss']}). "
            + (f"The last good checkpoint, step {last}, is kept in {ckpt.directory}. "
               if last is not None else "No checkpoint was written. ")
            + "Lower the learning rates (--config.g_optimizer.lr / d_optimizer.lr) or change "
              "the loss, then run again.")
    scalars = {k: float(np.mean([m[k] for m in values])) for k in values[-1]
               if k != "finite"}
    writer.write_scalars(step, scalars)
    pending.clear()

  def evaluate(step, num_samples, final):
    flush(step)
    result = evaluator(lambda z: exp.sample(state, z), num_samples, step)
    result["final"] = final
    writer.write_scalars(step, {("final_" if final else "") + k: v
                                for k, v in evaluation.metric_scalars(result).items()})
    evaluation.append_result(workdir, result)
    logging.info("Step %d: %s on %d samples (%.0fs)", step, evaluation.describe(result),
                 num_samples, result["seconds"])

  def write_samples(step):
    flush(step)
    grid = images.make_grid(exp.sample(state, grid_z))
    if jax.process_index() == 0:
      images.save_png(grid, os.path.join(workdir, "samples", f"step_{step:06d}.png"))
    writer.write_images(step, {"samples": grid[None]})

  try:
    with _StopRequest() as stop:
      t0 = time.time()
      for step in range(start + 1, total + 1):
        batch = parallel.host_local_to_global(next(batches), exp.mesh)
        state, metrics = exp.train_step(state, batch)
        pending.append((step, metrics))
        if step == start + 1:
          logging.info("First step (with compilation) took %.1fs", time.time() - t0)
        # Many processes agree on stopping (a collective) only at log steps.
        stopping = ((jax.process_count() == 1 or step % config.log_every == 0)
                    and stop.requested())
        if step % config.log_every == 0 or step == total or stopping:
          flush(step)  # waits for the device, so the progress report below is true
        progress(step)
        if step % config.sample_every == 0 or step == total:
          write_samples(step)
        if step % config.checkpoint_every == 0 or step == total or stopping:
          flush(step)
          ckpt.save(step, state, meta)
        if config.eval.every > 0 and step % config.eval.every == 0 and step != total:
          evaluate(step, config.eval.num_samples, final=False)
        if step == total and config.eval.final:
          ckpt.wait()  # the trained model is safe on disk before the long evaluation
          evaluate(step, config.eval.final_num_samples, final=True)
        if stopping:
          logging.warning("Stopped at step %d; checkpoint saved. Run the same command to resume.",
                          step)
          break
  finally:
    ckpt.close()  # waits for in-flight saves, also when a non-finite loss stops the run
    writer.close()
  return state


def sample(config: ml_collections.ConfigDict, workdir: str, mesh=None) -> str:
  """Restores the newest checkpoint and writes a grid of ``num_samples`` samples."""
  workdir = os.path.abspath(workdir)
  exp = Experiment(config, mesh)
  ckpt = checkpointing.Checkpointer(os.path.join(workdir, "checkpoints"), config.keep_checkpoints)
  state, step = ckpt.restore(exp.abstract_state, exp.meta())
  ckpt.close()
  samples = exp.sample(state, exp.grid_noise(config.num_samples, config.sample_seed))
  base = os.path.join(workdir, "samples", f"sample_step{step:06d}_seed{config.sample_seed}")
  if jax.process_index() == 0:
    images.save_png(images.make_grid(samples), base + ".png")
    np.savez_compressed(base + ".npz", images=images.to_uint8(samples))
    logging.info("Wrote %d samples from step %d to %s.png (and .npz)", len(samples), step, base)
  return base + ".png"


def evaluate(config: ml_collections.ConfigDict, workdir: str, mesh=None) -> dict:
  """Restores the newest checkpoint and runs the final evaluation protocol on it."""
  workdir = os.path.abspath(workdir)
  exp = Experiment(config, mesh)
  evaluator = evaluation.GeneratorEvaluator(config, exp.mesh)
  _ = evaluator.extractor
  ckpt = checkpointing.Checkpointer(os.path.join(workdir, "checkpoints"), config.keep_checkpoints)
  state, step = ckpt.restore(exp.abstract_state, exp.meta())
  ckpt.close()
  result = evaluator(lambda z: exp.sample(state, z), config.eval.final_num_samples, step)
  result["final"] = True
  evaluation.append_result(workdir, result)
  logging.info("Step %d: %s (%.0fs); appended to %s/results.json", step,
               evaluation.describe(result), result["seconds"], workdir)
  return result
