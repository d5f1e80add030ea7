"""Building an experiment from its config: every part chosen by name and bound with the
arguments it needs, so that the steps, the input pipeline and the evaluators never see the
config (flax ``examples/imagenet`` style).

``Experiment(config, mesh)`` validates the config (``training.validate``), splits it into its
blocks and keeps only those: the built parts (models, objective, optimizers, latent sampler,
the jitted steps), the data provider (``data.DataProvider``, from the ``data`` block), the
sampling helpers (``inference.Sampling``) and the evaluators, built with explicit arguments.
"""

import dataclasses
import functools

import jax
import numpy as np

from gan_jax import evaluators, losses, models
from gan_jax.data.provider import DataProvider
from gan_jax.inference.sampling import Sampling
from gan_jax.models import Condition, LatentSampler
from gan_jax.models.conditioning import LabelPool
from gan_jax.training import augment, checkpoints, optimizers, steps, threshold, validate
from gan_jax.training import state as train_state
from gan_jax.utils import fetch, parallel
from gan_jax.utils.errors import ConfigError


def _model_record(m, condition, aux_classes) -> dict:
  """The model block's defining fields, as a checkpoint records them."""
  model = {k: m[k] for k in ("name", "latent_dim", "g_hidden", "d_hidden", "conditional")}
  if m.conditional:
    model.update(g_label_dim=m.g_label_dim, d_label_input=m.d_label_input,
                 label_kind=condition.kind, num_classes=condition.num_classes,
                 g_label_bias=m.g_label_bias, aux_classes=aux_classes)
  model.update({k: v for k, v in m[m.name].to_dict().items() if k != "conv_impl"})
  return model


class Experiment:
  """Models, objective, optimizers, sampler and jitted steps for one config on one mesh: a
  frozen record once built (assigning to it raises ``dataclasses.FrozenInstanceError``)."""

  def __setattr__(self, name, value):
    if getattr(self, "_built", False):
      raise dataclasses.FrozenInstanceError(
          f"an Experiment is a frozen record of built parts; cannot assign {name!r}")
    object.__setattr__(self, name, value)

  def __init__(self, config, mesh=None):
    validate.validate(config)
    self.mesh = mesh or parallel.make_mesh()
    self.seed = config.seed
    self.data = DataProvider(config.data, seed=config.seed, d_steps=config.loss.d_steps)
    self.spec = self.data.spec
    self.channels = self.spec.channels
    self.image_shape = (config.data.image_size, config.data.image_size, self.spec.channels)
    validate.check_resize(config.data, self.spec.native_size)
    if config.model.conditional and self.spec.label_kind == "none":
      raise ConfigError(f"model.conditional=True but {config.data.name!r} has no labels.")
    self.condition = (Condition(self.spec.label_kind, self.spec.num_classes)
                      if config.model.conditional else Condition())
    pool = None
    if self.condition.kind == "multi_hot" and config.model.label_draw == "train":
      pool = LabelPool(self.data.train_labels)  # read at the first draw
    self.sampler = LatentSampler(config.model.latent_dim, self.condition,
                                 config.model.latent_dist, label_draw=config.model.label_draw,
                                 max_active=config.model.max_active, label_pool=pool)
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
    self.dynamic = validate.dynamic_steps(config.loss)
    parallel.check_batch_size(config.data.batch_size, self.mesh)
    self.use_ema = config.ema_decay > 0
    # the EMA run's raw weights when asked: their results are named <metric>_raw
    self.raw_beside_ema = self.use_ema and config.eval_params == "raw"
    # the blocks kept past the build: what the threshold, checkpoints and evaluators need
    self.threshold = (config.data.real_threshold.num_std
                      if config.data.real_threshold.enabled else None)
    self.samples_per_step = config.data.batch_size * config.loss.d_steps
    self.record = (_model_record(config.model, self.condition, self.aux_classes),
                   config.data.image_size, config.data.name, config.loss.name)
    self.evals_cfg = config.evals.copy_and_resolve_references()

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
    self.sampling = Sampling(
        sample_step=jax.jit(functools.partial(
            steps.sample_step, generator=self.generator,
            use_ema=self.use_ema and not self.raw_beside_ema), out_shardings=repl),
        draw_indexed=jax.jit(self.sampler.draw_indexed, static_argnums=2),
        sampler=self.sampler, condition=self.condition, spec=self.spec,
        suffix="_raw" if self.raw_beside_ema else "")
    self._built = True

  # ---- state and checkpoints ------------------------------------------------------------

  def init_state(self, num_train: int = 0):
    """A fresh state; ``num_train`` (the training split's size) sizes the real-image
    threshold's state when it is on."""
    state = self._init(jax.random.PRNGKey(self.seed))
    if self.uses_threshold:
      state = state.replace(data_state=jax.device_put(
          threshold.initial(num_train), parallel.replicated(self.mesh)))
    return state

  @property
  def uses_threshold(self) -> bool:
    return self.threshold is not None

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
    new = threshold.next_epoch(jax.device_get(state.data_state), step, self.threshold)
    return state.replace(data_state=jax.device_put(new, parallel.replicated(self.mesh)))

  def epoch_range(self, state) -> tuple[int, int, np.ndarray, int]:
    """``(epoch, first step, kept dataset indices, steps)`` of the threshold's current epoch."""
    ds = jax.device_get(state.data_state)
    kept = np.flatnonzero(ds["kept"])
    return (int(ds["epoch"]), int(ds["epoch_start"]), kept,
            threshold.epoch_steps(len(kept), self.samples_per_step))

  def meta(self) -> dict:
    """What must match for a checkpoint to load into this experiment's model."""
    return checkpoints.describe(*self.record, self.abstract_state)

  def put_batch(self, local_batch: dict) -> dict:
    """This process's share of a batch -> global arrays sharded over the mesh."""
    return parallel.host_local_to_global(local_batch, self.mesh)

  # ---- evaluators ------------------------------------------------------------------------

  def evaluators(self, enabled_only: bool = True) -> list:
    ctx = evaluators.EvalContext(
        mesh=self.mesh, data=self.data, condition=self.condition,
        cache_dir=self.data.cfg.cache_dir or fetch.default_cache_dir())
    built = evaluators.build_all(self.evals_cfg, ctx)
    return [e for e in built if e.enabled] if enabled_only else built
