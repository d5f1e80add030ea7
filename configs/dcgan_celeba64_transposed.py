"""The CelebA upsampling/WGAN study, transposed up-sampling: G at 64x64 with
each doubling a k4 s2 p1 transposed convolution (DCGAN); D: k4 s2 p1 convolutions.

  python -m gan_jax.main --config=configs/dcgan_celeba64_transposed.py
  python -m gan_jax.main --config=configs/dcgan_celeba64_transposed.py --config.model.latent_dim=200

Data, batch 128, Adam(2e-4, 0.5, 0.999), latent 100 (the study also ran 200): configs/celeba64.py.
The study reported (Inception Score with torchvision's network, not comparable to the standard
IS): DCGAN 2.70, DCGAN latent 200 3.24, bilinear 1.87.
"""

from configs import celeba64


def get_config(preset=""):
  config = celeba64.get_config()
  config.model.dcgan.upsample = "transposed"
  return celeba64.study_preset(config, preset)
