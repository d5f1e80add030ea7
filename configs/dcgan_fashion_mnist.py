"""The DCGAN of ``dcgan_mnist`` on Fashion-MNIST (all 70,000 images, available offline).

  python -m gan_jax.main --config=configs/dcgan_fashion_mnist.py

Same model and schedule as dcgan_mnist. Fashion-MNIST is the offline benchmark with
published FIDs to compare against on the same protocol (Lucic et al. 2018, best NS GAN
after a large search: 26.5).
"""

from configs import dcgan_mnist


def get_config():
  config = dcgan_mnist.get_config()
  config.data.name = "fashion_mnist"
  return config
