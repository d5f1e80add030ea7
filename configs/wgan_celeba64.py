"""The CelebA upsampling/WGAN study's WGAN: the 64x64 DCGAN networks of configs/celeba64.py
trained as a WGAN with weight clipping.

  python -m gan_jax.main --config=configs/wgan_celeba64.py

Critic without sigmoid or log, every critic parameter clipped to [-0.01, 0.01] after each
critic update, RMSProp lr 5e-5 (PyTorch semantics; the study does not name its optimizer, the
WGAN paper uses RMSProp), 5 critic updates per generator update, the study's batch 128 (the
WGAN paper used 64: ``--config.data.batch_size=64``). The critic's estimate
E[D(x)] - E[D(G(z))] is logged as ``wasserstein``; the study reported an Inception Score
(torchvision's network) of 2.97 (latent 100) and 2.85 (latent 200), and, in its Table 2, a
Wasserstein distance of 0.257 for this WGAN at epoch 45 (beside 0.265-0.564 for its DCGANs),
measured by a critic of its own: ``evals.wasserstein`` (on at the end here: a fresh WGAN-GP
critic on held-out images, ``critic_wasserstein``) measures the same for any model.
"""

from configs import celeba64, wgan_mnist


def get_config(preset=""):
  config = celeba64.get_config()
  config.evals.wasserstein.final = True  # beside Table 2's figure
  return celeba64.study_preset(wgan_mnist.wgan_recipe(config), preset)
