"""GAN objectives by name (``config.loss.name``); hyper-parameters from ``config.loss.<name>``;
the regularisers any objective can carry (``regularisers.REGULARIZERS``) are applied by
``build``."""

from gan_jax.losses import acgan, equilibrium, standard, wgan  # noqa: F401  (register the objectives)
from gan_jax.losses.objective import OBJECTIVES, GANInputs, Objective  # noqa: F401
from gan_jax.losses.regularisers import REGULARIZERS, regulariser  # noqa: F401


def build(loss_cfg) -> Objective:
  """The objective ``loss_cfg.name`` with the hyper-parameters of its block ``loss_cfg.<name>``
  (objectives without hyper-parameters have no block), and every registered regulariser."""
  factory = OBJECTIVES.get(loss_cfg.name)
  hparams = loss_cfg[loss_cfg.name].to_dict() if loss_cfg.name in loss_cfg else {}
  objective = factory(**hparams)
  for name in REGULARIZERS.names():
    objective = REGULARIZERS.get(name)(objective, loss_cfg)
  return objective
