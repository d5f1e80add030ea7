"""GAN objectives by name (``config.loss.name``); hyper-parameters from ``config.loss.<name>``."""

from gan_jax.losses import standard, wgan  # noqa: F401  (register the objectives)
from gan_jax.losses.base import OBJECTIVES, GANInputs, Objective  # noqa: F401


def build(loss_cfg) -> Objective:
  """The objective ``loss_cfg.name`` with the hyper-parameters of its block ``loss_cfg.<name>``
  (objectives without hyper-parameters have no block)."""
  factory = OBJECTIVES.get(loss_cfg.name)
  hparams = loss_cfg[loss_cfg.name].to_dict() if loss_cfg.name in loss_cfg else {}
  return factory(**hparams)
