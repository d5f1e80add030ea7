"""The CelebA upsampling/WGAN study's dynamic critic count on the 64x64 DCGAN.

  python -m gan_jax.main --config=configs/dcgan_celeba64_dynamic.py

Within each step D is updated on its real batch (a fresh z each time) while its loss stays
above 2 log 2 (our d_loss sums the real and fake terms, so this is the study's log 2 on their
mean), at most 5 times; then G while its loss stays above log 2 (D(G(z)) below 0.5, the study's
target "close to 0.5"), at most 5 times. The counts used are logged as ``d_updates`` and
``g_updates``. Everything else: configs/celeba64.py.
"""

from configs import celeba64


def get_config(preset=""):
  config = celeba64.get_config()
  dyn = config.loss.dynamic_steps
  dyn.enabled = True
  dyn.d_threshold = 1.386
  dyn.g_threshold = 0.693
  dyn.max_d = 5
  dyn.max_g = 5
  return celeba64.study_preset(config, preset)
