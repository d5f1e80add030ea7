"""``--mode=sample``: a grid of samples from the newest checkpoint."""


import jax
import ml_collections
import numpy as np
from absl import logging

from gan_jax.generation.parts import Generation
from gan_jax.generation.restore import restore_generator
from gan_jax.runs.run_folder import RunFolder
from gan_jax.utils import images


def sample(config: ml_collections.ConfigDict, workdir: str, mesh=None, labels: str = "") -> str:
  """Restores the newest checkpoint and writes a grid of ``num_samples`` samples (and their
  arrays as .npz): one row per class (or per test condition) for conditional models, or per
  label of ``labels`` (``Sampling.parse_labels``). Returns the grid's path."""
  run = RunFolder(workdir)
  gen = Generation(config, mesh)
  asked = gen.sampling.parse_labels(labels) if labels else None
  state, step = restore_generator(gen, run.path)
  z, y, cols = gen.sampling.grid_inputs(config.num_samples, config.sample_seed, asked)
  samples = gen.sampling.sample(state, z, y)
  base = run.sample_base(step, config.sample_seed)
  if jax.process_index() == 0:
    images.save_png(images.make_grid(samples, ncol=cols), base + ".png")
    extra = {} if y is None else {"labels": np.asarray(y)}
    np.savez_compressed(base + ".npz", images=images.to_uint8(samples), **extra)
    logging.info("Wrote %d samples from step %d to %s.png (and .npz)", len(samples), step, base)
  return base + ".png"
