"""WGAN with weight clipping on MNIST, on the dcgan_mnist networks (latent 16, hidden 100).

  python -m gan_jax.main --config=configs/wgan_mnist.py

The WGAN paper's recipe: the critic's output used as is (no sigmoid, no log), every critic
parameter clipped to [-0.01, 0.01] after each critic update, RMSProp with lr 5e-5 (PyTorch's
RMSprop: eps outside the square root) for both networks, 5 critic updates per generator
update. ``num_train_steps`` counts generator updates (5000, as dcgan_mnist), so a run reads
five times as many batches. The critic's estimate E[D(x)] - E[D(G(z))] is logged as
``wasserstein`` (``--config.log_every=1 --config.log_scalars=point`` for every step).
"""

from configs import dcgan_mnist, default


def wgan_recipe(config):
  """The WGAN paper's recipe on ``config``'s networks (also configs/wgan_celeba64.py)."""
  config.loss.name = "wgan"
  config.loss.wgan.clip = 0.01
  config.loss.d_steps = 5
  config.g_optimizer = default.optimizer("rmsprop", lr=5e-5)
  config.d_optimizer = default.optimizer("rmsprop", lr=5e-5)
  return config


def get_config():
  return wgan_recipe(dcgan_mnist.get_config())
