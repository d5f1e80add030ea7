"""The DCGAN-vs-MLP MNIST study's MLP GAN, with its first report's discriminator:
latent 100, hidden 100, D without dropout and with LeakyReLU slope 0.01 (PyTorch's default).

  python -m gan_jax.main --config=configs/mlp_mnist_plain_d.py
  python -m gan_jax.main --config=configs/mlp_mnist_plain_d.py --config.num_train_steps=10000 \\
      --workdir=runs/mlp_mnist_plain_d_10k

That report's FIDs for this network (its own FID code, so only the ordering compares):
138.5 after 5000 steps and 118 after 10000, against 29-85 for its CNN GANs. (Its
generator applies one ReLU twice, which is the same function as once.)
"""

from configs import mlp_mnist


def get_config(preset=""):
  config = mlp_mnist.get_config(preset)
  config.model.mlp.d_dropout = 0.0
  config.model.mlp.d_slope = 0.01
  return config
