"""DCGAN on MNIST, the seeds' best setting (R0/R3): latent 16, hidden 100.

  python -m gan_jax.main --config=configs/dcgan_mnist.py

32x32 (28 padded by 2), batch 64, 5000 steps, Adam 2e-4 / beta1 0.5,
non-saturating BCE, seed 42.  Sweep the reports' grid with e.g.
``--config.model.latent_dim=64 --config.model.g_hidden=64 --config.model.d_hidden=64``.
Expect D_x around 0.6-0.8 and D_G_z around 0.2-0.4 late in training, and
recognisable digits in ``<workdir>/samples/`` after about 1000 steps.
"""

from configs import default


def get_config():
  return default.get_config()
