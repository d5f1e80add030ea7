"""WGAN with weight clipping on Fashion-MNIST: the recipe of ``wgan_mnist`` (critic clipped to
[-0.01, 0.01], RMSProp 5e-5, 5 critic updates per generator update) on all 70,000 images.

  python -m gan_jax.main --config=configs/wgan_fashion_mnist.py

Lucic et al. 2018's best WGAN (clipping) FID on Fashion-MNIST, same protocol: 21.5.
"""

from configs import wgan_mnist


def get_config():
  config = wgan_mnist.get_config()
  config.data.name = "fashion_mnist"
  return config
