"""Generators and discriminators by name (``config.model.name``), under the conditioning
contract of ``conditioning.py``."""

from gan_jax.models import dcgan, mlp  # noqa: F401  (register the models)
from gan_jax.models.conditioning import Condition, DOutput, LatentSampler  # noqa: F401
from gan_jax.models.registry import MODELS


def build(model_cfg, *, channels: int, image_size: int, condition: Condition):
  """``(generator, discriminator)`` of ``model_cfg.name``."""
  return MODELS.get(model_cfg.name)(model_cfg, channels=channels, image_size=image_size,
                                    condition=condition)
