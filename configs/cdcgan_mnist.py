"""A class-conditional DCGAN on MNIST: the dcgan_mnist network with the digit's label
embedded beside z at G's input (50 dimensions) and given to D as ten label planes beside the
image (a one-hot plane per class).

  python -m gan_jax.main --config=configs/cdcgan_mnist.py

Sample grids have one row per digit class, the same noise down each column. Otherwise the
schedule of dcgan_mnist: batch 64, 5000 steps, Adam 2e-4 / beta1 0.5, non-saturating BCE.
"""

from configs import dcgan_mnist


def get_config():
  config = dcgan_mnist.get_config()
  config.model.conditional = True
  config.model.g_label_dim = 50
  config.model.d_label_input = "planes"
  config.num_grid_samples = 80          # 10 rows (classes) x 8 columns
  return config
