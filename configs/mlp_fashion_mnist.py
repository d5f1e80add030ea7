"""The MLP GAN of ``mlp_mnist`` on Fashion-MNIST: latent 100, hidden 100, 5000 steps.

  python -m gan_jax.main --config=configs/mlp_fashion_mnist.py
"""

from configs import mlp_mnist


def get_config():
  config = mlp_mnist.get_config()
  config.data.name = "fashion_mnist"
  return config
