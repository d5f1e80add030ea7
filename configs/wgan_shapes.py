"""Conditional WGAN (weight clipping) on the shapes dataset, as the i-CLEVR conditional-DCGAN
report tried it (0.65-0.70): the cgan_shapes networks with a raw critic, every critic
parameter clipped to [-0.01, 0.01], RMSProp 5e-5, 5 critic updates per generator update.

  python -m gan_jax.main --config=configs/wgan_shapes.py
  python -m gan_jax.main --config=configs/wgan_shapes.py:cpu

The ``cpu`` preset: cgan_shapes' ``cpu`` preset (32x32, the report's widths / 4, projection
critic, DiffAugment translation, Adam 2e-4 (0, 0.9), EMA of G) without spectral norm, the
gradient penalty (weight 10) in place of clipping (which learns too slowly for a CPU budget),
2 critic updates per generator update, 3,000 steps.
"""

from configs import cgan_shapes, wgan_mnist


def get_config(preset=""):
  if preset == "cpu":
    config = cgan_shapes.get_config("cpu")
    config.num_train_steps = 3000
    config.model.dcgan.d_spectral_norm = False
    config.loss.name = "wgan_gp"
    config.loss.d_steps = 2
    return config
  config = wgan_mnist.wgan_recipe(cgan_shapes.get_config(preset))
  config.num_train_steps = 56250 // 5     # the same number of real images as cgan_shapes
  return config
