"""MLP GAN on MNIST (R0/R3): latent 100, hidden 100, 5000 steps.

  python -m gan_jax.main --config=configs/mlp_mnist.py
  python -m gan_jax.main --config=configs/mlp_mnist.py --config.num_train_steps=10000 \
      --workdir=runs/mlp_mnist_10k

The reports found the MLP clearly behind the DCGAN (blurrier, noisier digits;
their FID 138.5 at 5000 steps and 118 at 10000, against ~30-65 for the CNN).
"""

from configs import default


def get_config():
  config = default.get_config()
  config.model.name = "mlp"
  config.model.latent_dim = 100
  config.model.g_hidden = 100
  config.model.d_hidden = 100
  return config
