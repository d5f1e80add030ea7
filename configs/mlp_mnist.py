"""The DCGAN-vs-MLP MNIST study's MLP GAN, with its second report's discriminator:
latent 100, hidden 100, D with dropout 0.2 and LeakyReLU slope 0.2, 5000 steps.

  python -m gan_jax.main --config=configs/mlp_mnist.py

That report's best MLP FID was 163 (its own FID code). The first report's MLP, whose D has
no dropout and slope 0.01, is ``configs/mlp_mnist_plain_d.py``.
The ``cpu`` preset (``--config=configs/mlp_mnist.py:cpu``) keeps the 5000 steps (the MLP
trains in under a minute on a CPU) with the final evaluations of ``dcgan_mnist``'s preset.
"""

from configs import dcgan_mnist, default


def get_config(preset=""):
  config = default.get_config()
  config.model.name = "mlp"
  config.model.latent_dim = 100
  config.model.g_hidden = 100
  config.model.d_hidden = 100
  config.model.mlp.d_dropout = 0.2
  config.model.mlp.d_slope = 0.2
  return dcgan_mnist.study_preset(config, preset)
