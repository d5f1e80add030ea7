"""A class-conditional DCGAN on Fashion-MNIST: the cdcgan_mnist construction (one-hot label
beside z, ten label planes beside D's input) on the 60,000 Fashion-MNIST training images.

  python -m gan_jax.main --config=configs/cdcgan_fashion_mnist.py

At the end: FID (default protocol), and the Fashion-MNIST classifier's agreement with the asked
class (overall and per class) on 10,000 samples; the classifier is trained once, on first use.
"""

from configs import cdcgan_mnist


def get_config():
  config = cdcgan_mnist.get_config()
  config.data.name = "fashion_mnist"
  return config
