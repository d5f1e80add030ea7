"""A trained generator in Python: ``gan_jax.load_run`` opens a run folder (its config.json and
the newest checkpoint, or ``step=N``) or a file written by ``export``, and gives samples,
interpolations and evaluations as numpy arrays, with the Flax module and its parameters to
apply yourself. It builds no optimizer and reads no discriminator or optimizer state: the
generation parts (``generation.Generation``) and G's arrays of the checkpoint
(``generation.restore``), on whatever device JAX has (CPU or GPU).

  import gan_jax
  run = gan_jax.load_run("runs/dcgan_mnist")        # EMA G where the run keeps one
  images = run.sample(64, seed=0)                     # uint8, (64, H, W, C)
  images = run.sample(16, labels=[3, 7], seed=1)      # conditions by index or name
  frames = run.interpolate(num=8, seed=0)             # slerp from one draw to the next
  run.evaluate("fid")                                 # an evaluator of the run's config
  run.generator.apply(run.variables, z, y, train=False)

An exported file (``run.export(path)``, ``--mode=export``) holds the config, the dataset's
description and G's arrays only, in Flax's msgpack serialisation.
"""

import dataclasses
import json
import os

import jax
import ml_collections
import numpy as np

from gan_jax.utils.errors import ConfigError, GanJaxError

EXPORT_FORMAT = "gan_jax.generator/1"
PARAMS = ("ema", "raw")


def _spec_record(spec) -> dict:
  return {"channels": spec.channels, "native_size": spec.native_size,
          "num_classes": spec.num_classes, "label_kind": spec.label_kind,
          "class_names": list(spec.class_names)}


class TrainedRun:
  """One trained generator: ``config``, ``step``, ``generator`` (the Flax module),
  ``variables`` (``{"params", "batch_stats"}`` of the chosen weights) and what it draws."""

  def __init__(self, config, gen, state, step: int, params: str, path: str, folder: bool):
    self.config, self.step, self.path = config, int(step), path
    self._gen, self._state, self._folder = gen, state, folder
    self.weights = params
    self.generator = gen.generator
    chosen = state.g_ema_params if params == "ema" else state.g_params
    self.variables = {"params": chosen, "batch_stats": state.g_batch_stats}
    self._sample = jax.jit(lambda v, z, y: gen.generator.apply(v, z, y, train=False))

  def __repr__(self):
    return (f"TrainedRun({self.path!r}, step {self.step}, {self.weights} G, "
            f"{self.config.model.name}, {self.config.data.name})")

  @property
  def image_shape(self) -> tuple:
    return tuple(self._gen.image_shape)

  @property
  def class_names(self) -> list[str]:
    """The names ``labels`` accepts (class names, or the tags of multi-hot conditions)."""
    return list(self._gen.spec.class_names)

  def _images(self, z, y) -> np.ndarray:
    from gan_jax.metrics.preprocess import quantize
    return quantize(np.asarray(self._sample(self.variables, z, y)))

  def labels(self, labels) -> np.ndarray | None:
    """Conditions as the generator takes them: class indices or names, or for multi-hot
    models lists of tag names or indices (one list per sample)."""
    return None if labels is None else self._gen.sampling.label_array(labels)

  def sample(self, n: int, labels=None, seed: int = 0) -> np.ndarray:
    """``n`` samples as uint8 (n, H, W, C), as the grids show them: sample i's z (and, without
    ``labels``, its condition) is drawn from ``(seed, i)`` alone, as the evaluators draw them.
    ``labels``: one condition for all, or one per sample (cycled)."""
    z, y = self._gen.sampler.draw_indexed(jax.random.PRNGKey(seed), 0, n)
    if labels is not None:
      given = self.labels(labels if isinstance(labels, (list, tuple, np.ndarray)) else [labels])
      y = given[np.arange(n) % len(given)]
    return self._images(z, y)

  def interpolate(self, num: int = 8, seed: int = 0, method: str = "slerp",
                  labels=None) -> np.ndarray:
    """``num`` frames (uint8) from draw 0 of ``seed`` to draw 1, in latent space (``slerp`` or
    ``linear``), the condition held at draw 0's (or ``labels``' first)."""
    from gan_jax.inference import interpolate
    if method not in interpolate.METHODS:
      raise ConfigError(f"method must be one of {interpolate.METHODS}, got {method!r}.")
    z, y = self._gen.sampler.draw_indexed(jax.random.PRNGKey(seed), 0, 2)
    path = interpolate.path(np.asarray(z[0]), np.asarray(z[1]), num, method)
    if labels is not None:
      y = self.labels([labels] if isinstance(labels, (str, int)) else [labels])
    return self._images(path, None if y is None else np.repeat(np.asarray(y)[:1], num, axis=0))

  def evaluate(self, name: str = "fid") -> dict:
    """Evaluator ``name`` of the run's config (its final protocol), recorded in the run's
    results.json as ``--mode=eval`` records it (not for an exported file); its scalars."""
    from gan_jax.evaluators.record import evaluate_all
    from gan_jax.runs.run_folder import RunFolder
    evals = {e.name: e for e in self._gen.evaluators(enabled_only=False)}
    if name not in evals:
      raise ConfigError(f"no evaluator {name!r} in this run's config; its evaluators: "
                        f"{sorted(evals)}.")
    samples = self._gen.sampling.samples(self._state)
    if self._folder:
      run = RunFolder(self.path)
      with run.writing():
        return evaluate_all([evals[name]], samples, self.step, True, run)
    ev = evals[name]
    ev.prepare()
    return ev.evaluate(samples, self.step, True).scalars

  def default_export_path(self) -> str:
    """``<run folder>/generator_step<N>.msgpack`` (a run folder's; beside an exported file)."""
    from gan_jax.runs.run_folder import RunFolder
    folder = self.path if self._folder else os.path.dirname(self.path)
    return RunFolder(folder).export_path(self.step)

  def export(self, path: str) -> str:
    """One file with the config, the dataset's description and G's arrays (no optimizer,
    discriminator or data state), which ``load_run`` opens; returns its path."""
    from flax import serialization
    state = jax.device_get(self._state)
    blob = {"format": EXPORT_FORMAT, "config": self.config.to_json_best_effort(),
            "spec": json.dumps(_spec_record(self._gen.spec)), "step": self.step,
            "g_params": state.g_params, "g_batch_stats": state.g_batch_stats,
            "g_ema_params": state.g_ema_params}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
      f.write(serialization.msgpack_serialize(blob))
    os.replace(path + ".tmp", path)
    return path


def _choose(params: str, use_ema: bool) -> str:
  if params not in PARAMS:
    raise ConfigError(f"params must be one of {PARAMS}, got {params!r}.")
  return params if use_ema else "raw"


def load_run(path: str, step: int | None = None, params: str = "ema") -> TrainedRun:
  """A run folder (its newest checkpoint, or ``step``) or an exported file; ``params``: the EMA
  of G's weights where the run keeps one (``ema``), or G's own (``raw``)."""
  from gan_jax.generation.parts import Generation
  if os.path.isfile(path):
    return _load_export(path, params)
  from gan_jax.generation.restore import restore_generator
  from gan_jax.runs.run_folder import RunFolder
  run = RunFolder(path)
  if not run.exists():
    raise GanJaxError(f"{path} is not a run folder (no config.json) nor an exported generator "
                      "file: pass a --workdir that trained, or a file written by export.")
  config = ml_collections.ConfigDict(run.config())
  gen = Generation(config)
  state, at = restore_generator(gen, run.path, step=step)
  return TrainedRun(config, gen, state, at, _choose(params, gen.use_ema), run.path, True)


def _load_export(path: str, params: str) -> TrainedRun:
  from flax import serialization

  from gan_jax.data.specs import DATASETS, DatasetSpec
  from gan_jax.generation.parts import Generation
  from gan_jax.generation.sampling import GeneratorState
  try:
    with open(path, "rb") as f:
      blob = serialization.msgpack_restore(f.read())
    assert blob.get("format") == EXPORT_FORMAT
  except Exception:  # msgpack raises many types for a file that is not one of ours
    raise GanJaxError(f"{path} is not a generator exported by gan_jax ({EXPORT_FORMAT}): "
                      "pass a run folder or a file written by export.") from None
  config = ml_collections.ConfigDict(json.loads(blob["config"]))
  spec = json.loads(blob["spec"])
  stored = DatasetSpec(**{**spec, "class_names": tuple(spec["class_names"])})
  with DATASETS.override(config.data.name, dataclasses.replace(stored)):  # no data read
    gen = Generation(config)
  state = GeneratorState(step=np.asarray(blob["step"]), g_params=blob["g_params"],
                         g_batch_stats=blob["g_batch_stats"], g_ema_params=blob["g_ema_params"])
  return TrainedRun(config, gen, state, int(blob["step"]), _choose(params, gen.use_ema),
                    os.path.abspath(path), False)
