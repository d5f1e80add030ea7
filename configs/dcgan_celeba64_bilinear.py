"""The CelebA upsampling/WGAN study, bilinear up-sampling: G at 64x64 with
each doubling a bilinear x2 up-sampling (half-pixel centres) then a 3x3 convolution;
D: 3x3 convolution then antialiased linear down-sampling (the transpose of bilinear up-sampling).

  python -m gan_jax.main --config=configs/dcgan_celeba64_bilinear.py
  python -m gan_jax.main --config=configs/dcgan_celeba64_bilinear.py --config.model.latent_dim=200

Data, batch 128, Adam(2e-4, 0.5, 0.999), latent 100 (the study also ran 200): configs/celeba64.py.
The study reported (Inception Score with torchvision's network, not comparable to the standard
IS): DCGAN 2.70, DCGAN latent 200 3.24, bilinear 1.87.
"""

from configs import celeba64


def get_config(preset=""):
  config = celeba64.get_config()
  config.model.dcgan.upsample = "bilinear"
  return celeba64.study_preset(config, preset)
