"""ACGAN on the shapes dataset: the cgan_shapes networks, with D predicting the multi-hot
condition (sigmoid cross-entropy, weight 1) instead of seeing it.

  python -m gan_jax.main --config=configs/acgan_shapes.py

The i-CLEVR conditional-DCGAN report tried ACGAN and got about 0.25 after 500 epochs, unstable.
``--config.loss.acgan.d_fake_class=False`` drops the class loss on generated images from D's
objective (D learns the classes from real images only).

  python -m gan_jax.main --config=configs/acgan_shapes.py:cpu

The ``cpu`` preset: cgan_shapes' (32x32, spectral norm, hinge, EMA), D without the condition
and without the fake-class term.
"""

from configs import cgan_shapes


def get_config(preset=""):
  config = cgan_shapes.get_config(preset)
  config.model.d_label_input = "none"
  config.loss.acgan.weight = 1.0
  config.loss.acgan.d_fake_class = preset != "cpu"
  return config
