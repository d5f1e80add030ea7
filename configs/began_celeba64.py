"""BEGAN at 64x64 on CelebA (crop 108, area resize), as began_fashion_mnist: base filters 128,
z 64 ~ U(-1, 1), code 64, gamma 0.4, lambda_k 0.001, Adam 5e-5, batch 16, learning rate halved
on an M plateau.

  python -m gan_jax.main --config=configs/began_celeba64.py

The BEGAN paper reaches M ~ 0.6 on faces at 64x64; the conditional-BEGAN report 0.11 on its
anime faces. Offline (no CelebA): --config.data.name=fashion_mnist --config.data.crop=0
--config.data.resize=bilinear (64x64 grey).
"""

from configs import began_fashion_mnist, celeba64


def get_config():
  config = began_fashion_mnist.get_config()
  data = celeba64.get_config().data
  data.batch_size = 16
  config.data = data
  config.evals.fid.reference_split = "train"
  config.num_train_steps = 50000
  return config
