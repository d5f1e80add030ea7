"""Interpolation between generator samples (``--mode=interpolate``).

For P pairs of endpoints (z0, z1), drawn from ``config.interpolation.seed``, K steps each
(default 5 x 10, as the DCGAN-vs-MLP MNIST study), one PNG strip per kind, one row per pair:

* ``latent_linear``: G((1 - t) z0 + t z1);
* ``latent_slerp``: G on the great circle from z0 to z1 (Shoemake's slerp; White 2016,
  "Sampling generative networks": Gaussian latents live near a sphere, which a straight line
  leaves in the middle);
* ``pixel``: (1 - t) G(z0) + t G(z1), the same endpoints blended in pixel space (the CelebA
  study's comparison);

and for conditional models (the pair's condition is held along each latent row):

* ``condition``: z fixed per row, the condition vector interpolated from the row's first
  condition to its second (soft one-hot or multi-hot vectors, which every conditional model
  takes through ``Condition.vector``);
* ``switch``: z fixed per row, one column per class (or per condition of the dataset's
  ``test`` list for multi-hot models).

The first and last column of every latent and pixel row are exactly the generator's samples
at the endpoints (``tests/inference/interpolate_test.py``). Each strip is written as PNG and as ``.npz``
(images in uint8 and the inputs) under ``<workdir>/interpolations/``.
"""

import os

import jax
import numpy as np
from absl import logging

from gan_jax.utils import images
from gan_jax.utils.errors import ConfigError

METHODS = ("linear", "slerp")


def lerp(a, b, t):
  """Rows (1 - t) a + t b for ``t`` of shape (K,); a, b: (D,)."""
  t = np.asarray(t, np.float64)[:, None]
  return ((1.0 - t) * np.asarray(a, np.float64) + t * np.asarray(b, np.float64)).astype(np.float32)


def slerp(a, b, t):
  """Spherical interpolation of the vectors a, b (D,) at ``t`` (K,): the arc from a to b in
  their plane, the norm going from |a| to |b| as (sin((1-t)w) |a| e_a + sin(tw) |b| e_b) /
  sin(w) does; equal norms stay constant. Nearly parallel vectors fall back to ``lerp``."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  t = np.asarray(t, np.float64)[:, None]
  cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
  omega = np.arccos(np.clip(cos, -1.0, 1.0))
  if np.sin(omega) < 1e-6:
    return lerp(a, b, t[:, 0])
  out = (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
  return out.astype(np.float32)


def path(a, b, steps: int, method: str):
  t = np.linspace(0.0, 1.0, steps)
  return {"linear": lerp, "slerp": slerp}[method](a, b, t)


def endpoints(gen, pairs: int, seed: int):
  """``(z0, z1, y0, y1)``: pair i's endpoints are the indexed draws 2i and 2i + 1 of
  ``seed``; y0 the condition held along its latent row (None when unconditional), y1 the
  other end of its condition row."""
  z, y = gen.sampling.draw_indexed(jax.random.PRNGKey(seed), 0, 2 * pairs)
  z = np.asarray(z)
  if y is None:
    return z[0::2], z[1::2], None, None
  y = np.asarray(y)
  return z[0::2], z[1::2], y[0::2], y[1::2]


def _as_vectors(gen, y):
  """Labels -> float vectors (B, K): class indices one-hot, multi-hot as given."""
  y = np.asarray(y)
  if gen.condition.kind == "class" and y.ndim == 1:
    return np.eye(gen.condition.num_classes, dtype=np.float32)[y]
  return y.astype(np.float32)


def strips(gen, state, pairs: int = 5, steps: int = 10, seed: int = 0) -> dict:
  """Every strip for ``state``'s generator: ``{name: (images in [-1, 1] (rows * cols, H, W,
  C), cols, inputs)}``, rows in pair order."""
  z0, z1, y0, y1 = endpoints(gen, pairs, seed)
  out = {}
  for method in METHODS:
    z = np.concatenate([path(z0[i], z1[i], steps, method) for i in range(pairs)])
    y = None if y0 is None else np.repeat(y0, steps, axis=0)
    out[f"latent_{method}"] = (gen.sampling.sample(state, z, y), steps, {"z": z, "y": y})
  ends = gen.sampling.sample(state, np.concatenate([z0, z1]),
                    None if y0 is None else np.concatenate([y0, y0]))
  a, b = ends[:pairs], ends[pairs:]
  t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None, None, None]
  blend = (1.0 - t) * a[:, None] + t * b[:, None]
  out["pixel"] = (blend.reshape(-1, *a.shape[1:]), steps, {"z0": z0, "z1": z1})
  if y0 is not None:
    v0, v1 = _as_vectors(gen, y0), _as_vectors(gen, y1)
    z = np.repeat(z0, steps, axis=0)
    y = np.concatenate([lerp(v0[i], v1[i], np.linspace(0.0, 1.0, steps)) for i in range(pairs)])
    out["condition"] = (gen.sampling.sample(state, z, y), steps, {"z": z, "y": y})
    choices = _switch_conditions(gen)
    z = np.repeat(z0, len(choices), axis=0)
    y = np.tile(choices, (pairs,) + (1,) * (choices.ndim - 1))
    out["switch"] = (gen.sampling.sample(state, z, y), len(choices), {"z": z, "y": y})
  return out


def _switch_conditions(gen):
  c = gen.condition
  if c.kind == "class":
    return np.arange(c.num_classes, dtype=np.int32)
  if gen.spec.condition_lists is not None:
    return np.asarray(gen.spec.condition_lists("test")[:10], np.float32)
  return np.eye(c.num_classes, dtype=np.float32)[:10]


def interpolate(config, workdir: str, mesh=None) -> list[str]:
  """Restores the newest checkpoint of ``workdir`` and writes every strip (PNG + npz) under
  ``<workdir>/interpolations/``; returns the PNG paths."""
  from gan_jax.generation.parts import Generation
  from gan_jax.generation.restore import restore_generator
  from gan_jax.runs.run_folder import RunFolder
  cfg = config.interpolation
  if cfg.pairs < 1 or cfg.steps < 2:
    raise ConfigError(f"interpolation needs pairs >= 1 and steps >= 2, got pairs={cfg.pairs}, "
                      f"steps={cfg.steps} (config.interpolation).")
  run = RunFolder(workdir)
  gen = Generation(config, mesh)
  state, step = restore_generator(gen, run.path)
  written = []
  for name, (imgs, cols, inputs) in strips(gen, state, cfg.pairs, cfg.steps, cfg.seed).items():
    base = run.interpolation_base(name, step, cfg.seed)
    if jax.process_index() == 0:
      images.save_png(images.make_grid(imgs, ncol=cols), base + ".png")
      np.savez_compressed(base + ".npz", images=images.to_uint8(imgs),
                          **{k: v for k, v in inputs.items() if v is not None})
    written.append(base + ".png")
  logging.info("Wrote %d interpolation strips from step %d to %s", len(written), step,
               os.path.dirname(written[0]))
  return written
