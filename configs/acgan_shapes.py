"""ACGAN on the shapes dataset: the cgan_shapes networks, with D predicting the multi-hot
condition (sigmoid cross-entropy, weight 1) instead of seeing it.

  python -m gan_jax.main --config=configs/acgan_shapes.py

The i-CLEVR conditional-DCGAN report tried ACGAN and got about 0.25 after 500 epochs, unstable.
``--config.loss.acgan.d_fake_class=False`` drops the class loss on generated images from D's
objective (D learns the classes from real images only).
"""

from configs import cgan_shapes


def get_config():
  config = cgan_shapes.get_config()
  config.model.d_label_input = "none"
  config.loss.acgan.weight = 1.0
  config.loss.acgan.d_fake_class = True
  return config
