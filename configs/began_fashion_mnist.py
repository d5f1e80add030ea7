"""BEGAN on Fashion-MNIST (32x32, padded), with the conditional-BEGAN report's
hyper-parameters on the BEGAN paper's networks.

  python -m gan_jax.main --config=configs/began_fashion_mnist.py

Networks (gan_jax/models/began.py): an autoencoder discriminator and a generator with its
decoder's architecture; 3x3 convolutions with ELU, no batch norm, a linear bottleneck, nearest
up-sampling, base filters 128, z 64 ~ U(-1, 1), code 64. Objective (gan_jax/losses/equilibrium.py):
gamma 0.4, lambda_k 0.001, k_0 = 0. Adam lr 5e-5, betas (0.5, 0.999) as the paper's public
ports; batch 16. The report cut its learning rate "when training stalled" without saying on
what: here it halves when the convergence measure M, averaged over 1000-step windows, has not
improved by 0.1% for 3 windows, down to lr / 16. 30,000 steps = 8 epochs.
Lucic et al. 2018's best BEGAN FID on Fashion-MNIST (their own networks): 22.9.

  python -m gan_jax.main --config=configs/began_fashion_mnist.py:hour

The ``hour`` preset fits one hour of a 2-core CPU (``hour`` below).

  python -m gan_jax.main --config=configs/began_fashion_mnist.py:lucic

The ``lucic`` preset trains Lucic et al.'s BEGAN networks in their search's ranges
(``lucic`` below).
"""

from configs import default


def get_config(preset=""):
  config = default.get_config()
  config.num_train_steps = 30000
  config.data.name = "fashion_mnist"
  config.data.image_size = 32
  config.data.batch_size = 16
  config.model.name = "began"
  config.model.latent_dim = 64
  config.model.latent_dist = "uniform"
  config.model.began.filters = 128
  config.model.began.code_dim = 64
  config.model.began.upsample = "nearest"
  config.loss.name = "began"
  config.loss.began.gamma = 0.4
  config.loss.began.lambda_k = 0.001
  config.g_optimizer = default.optimizer("adam", lr=5e-5)
  config.d_optimizer = default.optimizer("adam", lr=5e-5)
  config.lr_plateau.metric = "M"
  config.lr_plateau.window = 1000
  config.lr_plateau.patience = 3
  config.lr_plateau.min_scale = 1 / 16
  config.log_every = 100
  config.sample_every = 1000
  config.checkpoint_every = 2000
  if preset == "hour":
    return hour(config)
  if preset == "lucic":
    return lucic(config)
  if preset:
    raise ValueError(f"unknown preset {preset!r} (known: hour, lucic); e.g. "
                     "--config=configs/began_fashion_mnist.py:hour")
  return config


def hour(config):
  """Changed from the report's settings: gamma 0.7 instead of 0.4, base filters 32 instead of
  128 (a 9x cheaper step), Adam lr 1e-4 instead of 5e-5, samples and FID from an EMA of G
  (0.999; the raw G is evaluated too), 8,000 steps at batch 16 (2.1 epochs); lambda_k, the
  code and the lr cut on an M plateau are the report's. Why gamma: Fashion-MNIST is mostly
  black background, and a generator of near-black images is reconstructed by D's autoencoder
  at about 0.35x the loss of real images; at gamma 0.4 that already meets the equilibrium
  L(G(z)) = gamma L(x), so k_t stays near 0 and G stays black (measured on one core of the
  2-core CPU with ``--config.loss.began.gamma=0.4 --config.num_train_steps=10000``: after 3,100
  steps every pixel was below 43/255 and k was 0.013)."""
  config.num_train_steps = 8000
  config.loss.began.gamma = 0.7
  config.model.began.filters = 32
  config.g_optimizer = default.optimizer("adam", lr=1e-4)
  config.d_optimizer = default.optimizer("adam", lr=1e-4)
  config.ema_decay = 0.999
  config.sample_every = 500
  return config


def lucic(config):
  """Changed from the report's settings: Lucic et al. 2018's BEGAN networks instead of the
  paper's (a DCGAN G with batch norm, g_hidden 64; a strided autoencoder D, two k4 s2
  convolutions with LReLU around a 64-wide code, d_hidden 64), their search's ranges (batch 64,
  Adam lr 2e-4, beta1 0.5, gamma 0.9: at 6,000 steps, FID on 2,000 vs 2,000, gamma 0.75 gave
  86.7 with recall 0.031 and gamma 0.9 gave 60.7 with recall 0.098, coverage 0.26 -> 0.41),
  lambda_k 0.01 instead of 0.001 (at 0.001, k rose to
  0.096 in 3,000 steps while L(G(z)) stayed at half of L(x), far from gamma's balance, and the
  samples stayed blurred; at 0.01 k meets it within 1,000 steps), no learning-rate cut,
  samples and FID from an EMA of G (0.999; the raw G is evaluated too), 27,000 steps at batch
  64 (29 epochs: 59 minutes at the 7.65 steps/s the training loop runs at alone on the 2-core
  Xeon, 2026-12-07; 4.8-5.1 steps/s on one core of it; 15,000 steps at gamma 0.75 gave FID
  42.2, recall 0.08). z (64, uniform) and the code (64) are the report's."""
  config.num_train_steps = 27000
  config.data.batch_size = 64
  config.model.g_hidden = 64
  config.model.d_hidden = 64
  config.model.began.generator = "dcgan"
  config.model.began.discriminator = "strided"
  config.loss.began.gamma = 0.9
  config.loss.began.lambda_k = 0.01
  config.g_optimizer = default.optimizer("adam", lr=2e-4)
  config.d_optimizer = default.optimizer("adam", lr=2e-4)
  config.lr_plateau.metric = ""
  config.ema_decay = 0.999
  config.sample_every = 1000
  return config
