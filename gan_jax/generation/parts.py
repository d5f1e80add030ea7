"""What generating needs, built from a config: the data's spec and provider, the condition, the
latent sampler, both networks, the jitted sampling, the checkpoint record and the evaluators.
Training (``training.build.Experiment``) builds its optimizers, state and steps on top of it;
inference (``--mode=sample|interpolate|eval``) uses it alone and never builds an optimizer.

Every part is chosen by name and bound with the arguments it needs, so that the steps, the
input pipeline and the evaluators never see the config (flax ``examples/imagenet`` style).
"""

import dataclasses
import functools

import jax

from gan_jax import evaluators, models
from gan_jax.data.provider import DataProvider
from gan_jax.generation import validate
from gan_jax.generation.sampling import GeneratorState, Sampling, sample_step
from gan_jax.models import Condition, LatentSampler
from gan_jax.models.conditioning import LabelPool
from gan_jax.runs import checkpoints
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


def _abstract(tree, sharding):
  return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding), tree)


class Generation:
  """Models, condition, sampler, sampling and evaluators for one config on one mesh: a frozen
  record once built (assigning to it raises ``dataclasses.FrozenInstanceError``)."""

  def __setattr__(self, name, value):
    if getattr(self, "_built", False):
      raise dataclasses.FrozenInstanceError(
          f"a {type(self).__name__} is a frozen record of built parts; cannot assign {name!r}")
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
    self.use_ema = config.ema_decay > 0
    # the EMA run's raw weights when asked: their results are named <metric>_raw
    self.raw_beside_ema = self.use_ema and config.eval_params == "raw"
    self.record = (_model_record(config.model, self.condition, self.aux_classes),
                   config.data.image_size, config.data.name, config.loss.name)
    self.evals_cfg = config.evals.copy_and_resolve_references()
    repl = parallel.replicated(self.mesh)
    g_vars, d_vars = jax.eval_shape(self._init_variables, jax.random.PRNGKey(0))
    self.abstract_generator = GeneratorState(
        step=jax.ShapeDtypeStruct((), jax.numpy.int32, sharding=repl),
        g_params=_abstract(g_vars["params"], repl),
        g_batch_stats=_abstract(g_vars.get("batch_stats", {}), repl),
        g_ema_params=_abstract(g_vars["params"], repl) if self.use_ema else {})
    self._d_params = d_vars["params"]
    self.sampling = Sampling(
        sample_step=jax.jit(functools.partial(
            sample_step, generator=self.generator,
            use_ema=self.use_ema and not self.raw_beside_ema), out_shardings=repl),
        draw_indexed=jax.jit(self.sampler.draw_indexed, static_argnums=2),
        sampler=self.sampler, condition=self.condition, spec=self.spec,
        suffix="_raw" if self.raw_beside_ema else "")
    if type(self) is Generation:
      self._built = True

  def _init_variables(self, rng):
    """Both networks' variables, as the training state initialises them (shapes only here)."""
    z, y = self.sampler.dummy(2)
    g_rng, d_rng = jax.random.split(rng)
    x = jax.numpy.zeros((2,) + tuple(self.image_shape), jax.numpy.float32)
    return (self.generator.init(g_rng, z, y, train=False),
            self.discriminator.init(d_rng, x, y, train=False))

  def meta(self) -> dict:
    """What must match for a checkpoint to load into this model."""
    return checkpoints.describe(*self.record, self.abstract_generator.g_params, self._d_params)

  def put_batch(self, local_batch: dict) -> dict:
    """This process's share of a batch -> global arrays sharded over the mesh."""
    return parallel.host_local_to_global(local_batch, self.mesh)

  def evaluators(self, enabled_only: bool = True) -> list:
    ctx = evaluators.EvalContext(
        mesh=self.mesh, data=self.data, condition=self.condition,
        cache_dir=self.data.cfg.cache_dir or fetch.default_cache_dir())
    built = evaluators.build_all(self.evals_cfg, ctx)
    return [e for e in built if e.enabled] if enabled_only else built
