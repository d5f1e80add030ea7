"""``MODELS``: model name -> ``build(model_cfg, *, channels, image_size, condition)`` returning
``(generator, discriminator)``. A model file registers itself; ``models/__init__`` imports it."""

from gan_jax.utils.registry import Registry

MODELS = Registry("model.name")
