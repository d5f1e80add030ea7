"""Training's parts on top of what generating needs (``generation.Generation``): the
objective, both optimizers, DiffAugment, the dynamic critic count, the training state's
initialisation and the jitted step, and the real-image threshold's epochs. Nothing here is
built by inference.
"""

import functools

import jax
from jax.sharding import SingleDeviceSharding

from gan_jax import losses
from gan_jax.generation.parts import Generation
from gan_jax.training import augment, optimizers, steps, threshold
from gan_jax.training import state as train_state
from gan_jax.utils import parallel


class Experiment(Generation):
  """A ``Generation`` with its objective, optimizers, state and jitted steps for one config
  on one mesh: a frozen record once built."""

  def __init__(self, config, mesh=None):
    super().__init__(config, mesh)
    self.objective = losses.build(config.loss)
    plateau = config.lr_plateau
    self.g_tx = optimizers.make(config.g_optimizer, "g_optimizer", plateau,
                                num_steps=config.num_train_steps)
    self.d_tx = optimizers.make(config.d_optimizer, "d_optimizer", plateau,
                                updates_per_step=config.loss.d_steps,
                                num_steps=config.num_train_steps)
    self.augment = augment.parse(config.diff_augment)
    self.dynamic = steps.dynamic_steps(config.loss)
    parallel.check_batch_size(config.data.batch_size, self.mesh)
    # the real-image threshold (the conditional-BEGAN report), or None
    self.threshold = (threshold.RealThreshold(config.data.real_threshold.num_std,
                                              config.data.batch_size * config.loss.d_steps,
                                              self.mesh)
                      if config.data.real_threshold.enabled else None)

    repl = parallel.replicated(self.mesh)
    init = functools.partial(
        train_state.create_state, generator=self.generator, discriminator=self.discriminator,
        g_tx=self.g_tx, d_tx=self.d_tx, objective=self.objective, sampler=self.sampler,
        image_shape=self.image_shape, use_ema=self.use_ema)
    self.init_fn = init  # unjitted: the ensemble vmaps it
    # Initialised on one device, then copied to every device of the mesh: the values a
    # mesh-wide init computes on each device, from one program whatever the mesh, so the
    # persistent cache serves 1 and 8 devices and every process of a run from one entry
    # (the initializers' random bits take seconds to compile on a CPU).
    self._init = jax.jit(init, out_shardings=SingleDeviceSharding(jax.local_devices()[0]))
    self.abstract_state = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=repl),
        jax.eval_shape(init, jax.random.PRNGKey(0)))
    step = functools.partial(
        steps.train_step, generator=self.generator, discriminator=self.discriminator,
        g_tx=self.g_tx, d_tx=self.d_tx, objective=self.objective, sampler=self.sampler,
        ema_decay=config.ema_decay, augment=self.augment, plateau_metric=plateau.metric,
        dynamic=self.dynamic, joint_d_pass=config.joint_d_pass)
    self.step_fn = step  # unjitted: the ensemble vmaps it
    self.train_step = jax.jit(
        step, in_shardings=(repl, parallel.batch_sharding(self.mesh)),
        out_shardings=(repl, repl), donate_argnums=0)
    self._built = True

  # ---- state and checkpoints ------------------------------------------------------------

  def init_state(self, num_train: int = 0):
    """A fresh state; ``num_train`` (the training split's size) sizes the real-image
    threshold's state when it is on."""
    state = parallel.replicate(self._init(jax.random.PRNGKey(self.seed)), self.mesh)
    if self.threshold is not None:
      state = state.replace(data_state=self.threshold.initial(num_train))
    return state

  def abstract_state_for(self, num_train: int = 0):
    """The abstract state (restore target); with the real-image threshold, its per-image
    state is sized by the training split."""
    if self.threshold is None:
      return self.abstract_state
    return self.abstract_state.replace(data_state=self.threshold.abstract(num_train))
