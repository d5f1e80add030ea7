"""Conditional WGAN (weight clipping) on the shapes dataset, as the i-CLEVR conditional-DCGAN
report tried it (0.65-0.70): the cgan_shapes networks with a raw critic, every critic
parameter clipped to [-0.01, 0.01], RMSProp 5e-5, 5 critic updates per generator update.

  python -m gan_jax.main --config=configs/wgan_shapes.py
"""

from configs import cgan_shapes, wgan_mnist


def get_config():
  config = wgan_mnist.wgan_recipe(cgan_shapes.get_config())
  config.num_train_steps = 56250 // 5     # the same number of real images as cgan_shapes
  return config
