"""Drawing from a generator: the fixed grid's inputs, labels asked for on the command line, and
sample sets whose sample i depends on (seed, i) alone, for grids, evaluators and ``--mode``s.
Built from the parts it needs (the jitted sample step, the latent sampler, the condition and
the dataset's spec), never from the config. ``sample_step`` takes any state with G's arrays:
the training state, or the ``GeneratorState`` inference restores."""

import dataclasses
from typing import Any, Callable

import flax
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.evaluators.base import Samples
from gan_jax.utils.errors import ConfigError

GRID_NOISE_SALT = 0x6772  # fixed-noise grid: fold_in(PRNGKey(seed), salt)


@flax.struct.dataclass
class GeneratorState:
  """What generating needs of a run's state: G's parameters, its batch statistics and the
  EMA of its parameters (``{}`` when the run keeps none), at ``step``."""
  step: jax.Array
  g_params: Any
  g_batch_stats: Any
  g_ema_params: Any

  FIELDS = ("step", "g_params", "g_batch_stats", "g_ema_params")


def sample_step(state, z, y=None, *, generator, use_ema: bool):
  """Generator in inference mode (running batch statistics) on given inputs."""
  params = state.g_ema_params if use_ema else state.g_params
  return generator.apply({"params": params, "batch_stats": state.g_batch_stats}, z, y,
                         train=False)


@dataclasses.dataclass(frozen=True)
class Sampling:
  sample_step: Callable  # jitted (state, z, y) -> images in [-1, 1], replicated
  draw_indexed: Callable  # jitted (key, start, n) -> (z, y) of samples start .. start + n
  sampler: Any           # models.LatentSampler
  condition: Any         # models.Condition
  spec: Any              # data.DatasetSpec (class names, condition lists)
  suffix: str = ""       # "_raw": the raw weights of a run that keeps an EMA of them

  def sample(self, state, z, y=None) -> np.ndarray:
    """Generator outputs in [-1, 1] (inference mode) for given inputs."""
    return np.asarray(jax.device_get(self.sample_step(state, z, y)))

  def grid_inputs(self, n: int, seed: int, labels=None):
    """The fixed sample grid's ``(z, y, columns)``: one row per class when class-conditional;
    for multi-hot conditions one row per condition of the dataset's ``test`` list (as many
    as fit 8 columns); with ``labels`` (see ``parse_labels``) one row per given label. The
    same noise runs down each column."""
    key = jax.random.fold_in(jax.random.PRNGKey(seed), GRID_NOISE_SALT)
    c = self.condition
    if labels is None and c.kind == "multi_hot" and self.spec.condition_lists is not None:
      test = self.spec.condition_lists("test")
      labels = test[:max(1, min(len(test), n // 8))]
    if labels is None or not c.active:
      return self.sampler.grid(key, n)
    labels = np.asarray(labels)
    cols = max(1, n // len(labels))
    z = self.sampler.noise(key, (cols, self.sampler.latent_dim))
    return (jnp.tile(z, (len(labels), 1)), jnp.asarray(np.repeat(labels, cols, axis=0)), cols)

  def parse_labels(self, text: str) -> np.ndarray:
    """Labels asked for on the command line, one grid row each: class indices or names
    separated by commas (``3,7`` or ``Trouser,Bag``); multi-hot conditions separated by
    semicolons, their labels by commas (``red circle,blue square;gray triangle``)."""
    if self.condition.kind == "class":
      rows = [t for t in text.replace(";", ",").split(",") if t.strip()]
    else:
      rows = [[t for t in r.split(",") if t.strip()] for r in text.split(";") if r.strip()]
    out = self.label_array(rows, "--labels")
    if not len(out):
      raise ConfigError("--labels is empty.")
    return out

  def label_array(self, rows, what: str = "labels") -> np.ndarray:
    """Conditions as the generator takes them, one per row: a class index or name (int32),
    or for multi-hot models a list of tag names or indices (float32 multi-hot)."""
    c, names = self.condition, list(self.spec.class_names)
    if not c.active:
      raise ConfigError(f"{what} needs a conditional model (model.conditional=True).")

    def index(item) -> int:
      item = item.strip() if isinstance(item, str) else item
      if isinstance(item, str) and item in names:
        return names.index(item)
      if str(item).isdigit() and int(item) < c.num_classes:
        return int(item)
      raise ConfigError(f"{what}: unknown label {item!r}; labels are 0..{c.num_classes - 1}"
                        + (f" or one of {names}" if names else "") + ".")

    if c.kind == "class":
      return np.asarray([index(t) for t in rows], np.int32)
    out = np.zeros((len(rows), c.num_classes), np.float32)
    for i, row in enumerate(rows):
      out[i, [index(t) for t in ([row] if isinstance(row, (str, int)) else row)]] = 1.0
    return out

  def batches(self, state, num: int, seed: int, batch_size: int):
    """``generate``'s samples one batch at a time, as ``(uint8 images, labels)``: the next
    batch is made only when asked for, so a consumer can overlap its work with sampling."""
    from gan_jax.metrics.preprocess import quantize
    key = jax.random.PRNGKey(seed)
    for start in range(0, num, batch_size):
      z, y = self.draw_indexed(key, start, batch_size)
      n = min(batch_size, num - start)
      yield quantize(self.sample(state, z, y))[:n], (None if y is None else np.asarray(y)[:n])

  def generate(self, state, num: int, seed: int, batch_size: int):
    """``num`` samples as uint8, and their labels: sample i is drawn from ``(seed, i)`` alone,
    so the set is the same for any batch size and device count."""
    images, labels = zip(*self.batches(state, num, seed, batch_size))
    return np.concatenate(images), (None if labels[0] is None else np.concatenate(labels))

  def generate_with_labels(self, state, labels, seed: int, batch_size: int) -> np.ndarray:
    """uint8 samples for given labels (class indices or multi-hot vectors), the noise of
    sample i drawn from ``(seed, i)`` alone, as ``generate`` draws it."""
    from gan_jax.metrics.preprocess import quantize
    labels = np.asarray(labels)
    key = jax.random.PRNGKey(seed)
    out = []
    for start in range(0, len(labels), batch_size):
      z, _ = self.draw_indexed(key, start, batch_size)
      y = labels[start:start + batch_size]
      n = len(y)
      if n < batch_size:  # one compiled shape: pad with the first label
        y = np.concatenate([y, np.repeat(y[:1], batch_size - n, axis=0)])
      out.append(quantize(self.sample(state, z, y))[:n])
    return np.concatenate(out)

  def samples(self, state) -> Samples:
    """The generator of ``state`` as evaluators see it."""
    return Samples(
        draw=lambda n, seed, bs: self.generate(state, n, seed, bs),
        with_labels=lambda y, seed, bs: self.generate_with_labels(state, y, seed, bs),
        suffix=self.suffix, stream=lambda n, seed, bs: self.batches(state, n, seed, bs))
