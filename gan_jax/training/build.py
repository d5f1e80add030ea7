"""Building an experiment from its config: every part chosen by name and bound with the
arguments it needs, so that the steps, the input pipeline and the evaluators never see the
config (flax ``examples/imagenet`` style).

``Experiment(config, mesh)`` validates the config (every bad value is a one-line
``ConfigError`` naming the field), then holds the models, objective, optimizers, latent
sampler, the jitted steps and the data and evaluator hooks.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from gan_jax import data, evaluators, losses, models
from gan_jax.models import Condition, LatentSampler
from gan_jax.training import augment, checkpoints, optimizers, steps, threshold
from gan_jax.training import state as train_state
from gan_jax.utils import fetch, parallel
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice

GRID_NOISE_SALT = 0x6772  # fixed-noise grid: fold_in(PRNGKey(seed), salt)
LOG_SCALARS = ("mean", "point")


def _positive(config, *fields):
  for field in fields:
    value = config
    for part in field.split("."):
      value = value[part]
    if not value > 0:
      raise ConfigError(f"{field} must be > 0, got {value}.")


def validate(config: ml_collections.ConfigDict):
  """Refuses, at start-up, values that cannot be right."""
  _positive(config, "num_train_steps", "data.batch_size", "data.image_size", "model.latent_dim",
            "model.g_hidden", "model.d_hidden", "loss.d_steps", "log_every", "sample_every",
            "checkpoint_every", "keep_checkpoints", "num_grid_samples", "num_samples")
  check_choice("data.source", config.data.source, data.SOURCES)
  if config.data.folder_channels not in (1, 3):
    raise ConfigError(f"data.folder_channels must be 1 or 3, got {config.data.folder_channels}.")
  if config.model.g_label_dim < 0:
    raise ConfigError(f"model.g_label_dim must be >= 0 (0 = the label vector itself), got "
                      f"{config.model.g_label_dim}.")
  if not config.data.real_threshold.num_std > 0:
    raise ConfigError(f"data.real_threshold.num_std must be > 0, got "
                      f"{config.data.real_threshold.num_std}.")
  if not 0 <= config.ema_decay < 1:
    raise ConfigError(f"ema_decay must be in [0, 1), got {config.ema_decay}.")
  check_choice("log_scalars", config.log_scalars, LOG_SCALARS)
  for name in config.evals.keys():
    ev = config.evals[name]
    if ev.every < 0:
      raise ConfigError(f"evals.{name}.every must be >= 0 (0 = off), got {ev.every}.")
    _positive(config, f"evals.{name}.num_samples", f"evals.{name}.final_num_samples")


def _check_resize(d, native: int | None):
  from gan_jax.data.specs import RESIZE_METHODS
  check_choice("data.resize", d.resize, RESIZE_METHODS)
  if d.crop < 0:
    raise ConfigError(f"data.crop must be >= 0 (0 = the largest centred square), got {d.crop}.")
  if d.resize == "pad" and (native is None or d.crop or d.image_size < native
                            or (d.image_size - native) % 2):
    what = f"{native}px images" if native else "images of mixed or non-square sizes"
    raise ConfigError(f"data.resize='pad' cannot take {what} of {d.name}"
                      + (f" cropped to {d.crop}px" if d.crop else "")
                      + f" to {d.image_size}px; use one of {list(RESIZE_METHODS[1:])}.")


def _dynamic_steps(loss_cfg):
  dyn = loss_cfg.dynamic_steps
  if not dyn.enabled:
    return None
  if dyn.max_d < 1 or dyn.max_g < 1:
    raise ConfigError(f"loss.dynamic_steps.max_d and max_g must be >= 1, got {dyn.max_d} "
                      f"and {dyn.max_g}.")
  if loss_cfg.d_steps != 1:
    raise ConfigError("loss.dynamic_steps repeats updates on one real batch: set "
                      "loss.d_steps=1.")
  return steps.DynamicSteps(dyn.d_threshold, dyn.g_threshold, dyn.max_d, dyn.max_g)


class Experiment:
  """Models, objective, optimizers, sampler and jitted steps for one config on one mesh."""

  def __init__(self, config: ml_collections.ConfigDict, mesh=None):
    validate(config)
    self.config = config
    self.mesh = mesh or parallel.make_mesh()
    self.spec = (data.folder_spec(config.data) if config.data.name == "image_folder"
                 else data.DATASETS.get(config.data.name))
    self.channels = self.spec.channels
    self.image_shape = (config.data.image_size, config.data.image_size, self.spec.channels)
    _check_resize(config.data, self.spec.native_size)
    if config.model.conditional and self.spec.label_kind == "none":
      raise ConfigError(f"model.conditional=True but {config.data.name!r} has no labels.")
    self.condition = (Condition(self.spec.label_kind, self.spec.num_classes)
                      if config.model.conditional else Condition())
    self.sampler = LatentSampler(config.model.latent_dim, self.condition,
                                 config.model.latent_dist)
    self.aux_classes = self.condition.num_classes if config.loss.acgan.weight > 0 else 0
    if config.loss.acgan.weight > 0 and not self.condition.active:
      raise ConfigError("loss.acgan.weight > 0 (ACGAN) needs a conditional model: set "
                        "model.conditional=True (and usually model.d_label_input=none).")
    self.generator, self.discriminator = models.build(
        config.model, channels=self.channels, image_size=config.data.image_size,
        condition=self.condition, aux_classes=self.aux_classes)
    self.objective = losses.build(config.loss)
    plateau = config.lr_plateau
    self.g_tx = optimizers.make(config.g_optimizer, "g_optimizer", plateau)
    self.d_tx = optimizers.make(config.d_optimizer, "d_optimizer", plateau,
                                updates_per_step=config.loss.d_steps)
    self.augment = augment.parse(config.diff_augment)
    self.dynamic = _dynamic_steps(config.loss)
    parallel.check_batch_size(config.data.batch_size, self.mesh)
    self.use_ema = config.ema_decay > 0

    repl = parallel.replicated(self.mesh)
    init = functools.partial(
        train_state.create_state, generator=self.generator, discriminator=self.discriminator,
        g_tx=self.g_tx, d_tx=self.d_tx, objective=self.objective, sampler=self.sampler,
        image_shape=self.image_shape, use_ema=self.use_ema)
    self.init_fn = init  # unjitted: the ensemble vmaps it
    self._init = jax.jit(init, out_shardings=repl)
    self.abstract_state = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=repl),
        jax.eval_shape(init, jax.random.PRNGKey(0)))
    step = functools.partial(
        steps.train_step, generator=self.generator, discriminator=self.discriminator,
        g_tx=self.g_tx, d_tx=self.d_tx, objective=self.objective, sampler=self.sampler,
        ema_decay=config.ema_decay, augment=self.augment, plateau_metric=plateau.metric,
        dynamic=self.dynamic)
    self.step_fn = step  # unjitted: the ensemble vmaps it
    self.train_step = jax.jit(
        step, in_shardings=(repl, parallel.batch_sharding(self.mesh)),
        out_shardings=(repl, repl), donate_argnums=0)
    self._sample = jax.jit(
        functools.partial(steps.sample_step, generator=self.generator, use_ema=self.use_ema),
        out_shardings=repl)
    self._draw_indexed = jax.jit(self.sampler.draw_indexed, static_argnums=2)

  # ---- state and checkpoints ------------------------------------------------------------

  def init_state(self, num_train: int = 0):
    """A fresh state; ``num_train`` (the training split's size) sizes the real-image
    threshold's state when it is on."""
    state = self._init(jax.random.PRNGKey(self.config.seed))
    if self.uses_threshold:
      state = state.replace(data_state=jax.device_put(
          threshold.initial(num_train), parallel.replicated(self.mesh)))
    return state

  @property
  def uses_threshold(self) -> bool:
    return bool(self.config.data.real_threshold.enabled)

  def abstract_state_for(self, num_train: int = 0):
    """The abstract state (restore target); with the real-image threshold, its per-image
    state is sized by the training split."""
    if not self.uses_threshold:
      return self.abstract_state
    repl = parallel.replicated(self.mesh)
    data_state = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=repl),
                              jax.eval_shape(lambda: threshold.initial(num_train)))
    return self.abstract_state.replace(data_state=data_state)

  def next_epoch(self, state, step: int):
    """The state with the real-image threshold's next epoch started at ``step``."""
    new = threshold.next_epoch(jax.device_get(state.data_state), step,
                               self.config.data.real_threshold.num_std)
    return state.replace(data_state=jax.device_put(new, parallel.replicated(self.mesh)))

  def epoch_range(self, state) -> tuple[int, int, np.ndarray, int]:
    """``(epoch, first step, kept dataset indices, steps)`` of the threshold's current epoch."""
    ds = jax.device_get(state.data_state)
    kept = np.flatnonzero(ds["kept"])
    per_step = self.config.data.batch_size * self.config.loss.d_steps
    return int(ds["epoch"]), int(ds["epoch_start"]), kept, threshold.epoch_steps(len(kept),
                                                                                  per_step)

  def meta(self) -> dict:
    """What must match for a checkpoint to load into this experiment's model."""
    m = self.config.model
    model = {k: m[k] for k in ("name", "latent_dim", "g_hidden", "d_hidden", "conditional")}
    if m.conditional:
      model.update(g_label_dim=m.g_label_dim, d_label_input=m.d_label_input,
                   label_kind=self.condition.kind, num_classes=self.condition.num_classes,
                   g_label_bias=m.g_label_bias, aux_classes=self.aux_classes)
    model.update({k: v for k, v in m[m.name].to_dict().items() if k != "conv_impl"})
    return checkpoints.describe(model, self.config.data.image_size, self.config.data.name,
                                  self.config.loss.name, self.abstract_state)

  # ---- sampling --------------------------------------------------------------------------

  def sample(self, state, z, y=None) -> np.ndarray:
    """Generator outputs in [-1, 1] (inference mode) for given inputs."""
    return np.asarray(jax.device_get(self._sample(state, z, y)))

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
    c, names = self.condition, list(self.spec.class_names)
    if not c.active:
      raise ConfigError("--labels needs a conditional model (model.conditional=True).")

    def index(item: str) -> int:
      item = item.strip()
      if item in names:
        return names.index(item)
      if item.isdigit() and int(item) < c.num_classes:
        return int(item)
      raise ConfigError(f"--labels: unknown label {item!r}; labels are 0..{c.num_classes - 1}"
                        + (f" or one of {names}" if names else "") + ".")

    if c.kind == "class":
      return np.asarray([index(t) for t in text.replace(";", ",").split(",") if t.strip()],
                        np.int32)
    rows = [r for r in text.split(";") if r.strip()]
    out = np.zeros((len(rows), c.num_classes), np.float32)
    for i, row in enumerate(rows):
      out[i, [index(t) for t in row.split(",") if t.strip()]] = 1.0
    if not len(out):
      raise ConfigError("--labels is empty.")
    return out

  def generate(self, state, num: int, seed: int, batch_size: int):
    """``num`` samples as uint8, and their labels: sample i is drawn from ``(seed, i)`` alone,
    so the set is the same for any batch size and device count."""
    from gan_jax.metrics.preprocess import quantize
    key = jax.random.PRNGKey(seed)
    images, labels = [], []
    for start in range(0, num, batch_size):
      z, y = self._draw_indexed(key, start, batch_size)
      images.append(quantize(self.sample(state, z, y)))
      labels.append(None if y is None else np.asarray(y))
    images = np.concatenate(images)[:num]
    return images, (None if labels[0] is None else np.concatenate(labels)[:num])

  def generate_with_labels(self, state, labels, seed: int, batch_size: int) -> np.ndarray:
    """uint8 samples for given labels (class indices or multi-hot vectors), the noise of
    sample i drawn from ``(seed, i)`` alone, as ``generate`` draws it."""
    from gan_jax.metrics.preprocess import quantize
    labels = np.asarray(labels)
    key = jax.random.PRNGKey(seed)
    out = []
    for start in range(0, len(labels), batch_size):
      z, _ = self._draw_indexed(key, start, batch_size)
      y = labels[start:start + batch_size]
      n = len(y)
      if n < batch_size:  # one compiled shape: pad with the first label
        y = np.concatenate([y, np.repeat(y[:1], batch_size - n, axis=0)])
      out.append(quantize(self.sample(state, z, y))[:n])
    return np.concatenate(out)

  def samples(self, state):
    """The generator of ``state`` as evaluators see it (``evaluators.Samples``)."""
    return evaluators.Samples(
        draw=lambda n, seed, bs: self.generate(state, n, seed, bs),
        with_labels=lambda y, seed, bs: self.generate_with_labels(state, y, seed, bs))

  # ---- data ------------------------------------------------------------------------------

  def load_split(self, split: str) -> data.Source:
    d = self.config.data
    s = data.load_split(d.name, split, source=d.source, tfds_data_dir=d.tfds_data_dir,
                        cache_dir=d.cache_dir, synthetic_size=d.synthetic_size,
                        folder=d.folder, folder_channels=d.folder_channels,
                        skip_unreadable=d.skip_unreadable)
    if s.channels != self.channels:
      raise ConfigError(f"{d.name} images have {s.channels} channels, expected {self.channels}.")
    return s

  def train_batches(self, source: data.Source, start_step: int, num_steps: int,
                    kept=None, epoch: int = 0, epoch_start: int = 0, seed: int | None = None):
    """This process's batches; their order is a function of ``seed`` (default: the config's)."""
    from gan_jax.data import pipeline
    d = self.config.data
    return pipeline.create_train_iterator(
        source, batch_size=d.batch_size, image_size=d.image_size, resize=d.resize,
        seed=self.config.seed if seed is None else seed, d_steps=self.config.loss.d_steps, start_step=start_step,
        num_steps=num_steps, prefetch=d.prefetch, crop=d.crop, threads=d.decode_threads,
        kept=kept, epoch=epoch, epoch_start=epoch_start)

  def put_batch(self, local_batch: dict) -> dict:
    """This process's share of a batch -> global arrays sharded over the mesh."""
    return parallel.host_local_to_global(local_batch, self.mesh)

  def reference_images(self, split: str, count: int, seed: int):
    """A seeded random subset of ``count`` images of ``split`` (all when count <= 0 or more
    than the split holds), preprocessed as for training, as uint8."""
    from gan_jax.data import pipeline
    s = self.load_split(split)
    idx = data.subset_indices(len(s), count, seed)
    d = self.config.data
    what = (f"{s.description}; {len(idx)} of {len(s)} images"
            + (f", random subset seed {seed}" if len(idx) < len(s) else ""))
    return pipeline.images_for_metrics(s, idx, d.image_size, d.resize, d.crop,
                                       d.decode_threads), what

  def labelled_reference(self, split: str, count: int, seed: int):
    """``reference_images`` with the images' labels: ``(images, labels, description)``."""
    images, what = self.reference_images(split, count, seed)
    s = self.load_split(split)
    idx = data.subset_indices(len(s), count, seed)
    if s.shape:
      labels = np.concatenate([s.read(idx[i:i + 1024])[1] for i in range(0, len(idx), 1024)])
    else:
      labels = np.asarray([s.read_image(int(i))[1] for i in idx])
    return images, labels, what

  # ---- evaluators ------------------------------------------------------------------------

  def evaluators(self, enabled_only: bool = True) -> list:
    d = self.config.data
    ctx = evaluators.EvalContext(
        mesh=self.mesh, reference_images=self.reference_images,
        dataset={"name": d.name, "image_size": d.image_size, "data_resize": d.resize},
        condition=self.condition, cache_dir=d.cache_dir or fetch.default_cache_dir(),
        spec=self.spec, load_split=self.load_split, crop=d.crop,
        labelled_reference=self.labelled_reference)
    built = evaluators.build_all(self.config.evals, ctx)
    return [e for e in built if e.enabled] if enabled_only else built
