"""Generators and discriminators by name (``config.model.name``), under the conditioning
contract of ``conditioning.py``."""

from gan_jax.models import began, dcgan, mlp  # noqa: F401  (register the models)
from gan_jax.models.conditioning import (D_LABEL_INPUTS, Condition, DOutput,  # noqa: F401
                                         LatentSampler)
from gan_jax.models.common import MODELS
from gan_jax.utils.registry import check_choice


def build(model_cfg, *, channels: int, image_size: int, condition: Condition,
          aux_classes: int = 0):
  """``(generator, discriminator)`` of ``model_cfg.name``; ``aux_classes`` > 0 gives D an
  auxiliary classifier (ACGAN)."""
  check_choice("model.d_label_input", model_cfg.d_label_input, D_LABEL_INPUTS)
  return MODELS.get(model_cfg.name)(model_cfg, channels=channels, image_size=image_size,
                                    condition=condition, aux_classes=aux_classes)
