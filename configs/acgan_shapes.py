"""ACGAN on the shapes dataset: the cgan_shapes networks, with D predicting the multi-hot
condition (sigmoid cross-entropy, weight 1) instead of seeing it.

  python -m gan_jax.main --config=configs/acgan_shapes.py

The i-CLEVR conditional-DCGAN report tried ACGAN and got about 0.25 after 500 epochs, unstable;
the default trains those 500 epochs (140,625 steps at 18,000 images, batch 64; cgan_shapes'
200 epochs with ``--config.num_train_steps=56250``).
``--config.loss.acgan.d_fake_class=False`` drops the class loss on generated images from D's
objective (D learns the classes from real images only).

  python -m gan_jax.main --config=configs/acgan_shapes.py:cpu

The ``cpu`` preset: cgan_shapes' (32x32, spectral norm, hinge, DiffAugment translation, EMA),
D without the condition and without the fake-class term, class-loss weight 10: the loss is a
mean over the 24 labels, of which 1-3 are on, and at weight 1 G ignored the condition (score
0.05 after 5,000 steps, below chance).
"""

from configs import cgan_shapes


def get_config(preset=""):
  config = cgan_shapes.get_config(preset)
  config.model.d_label_input = "none"
  config.loss.acgan.weight = 1.0
  config.loss.acgan.d_fake_class = preset != "cpu"
  if preset == "":
    config.num_train_steps = 140625       # the report's 500 epochs of 18,000 images at batch 64
  if preset == "cpu":
    config.loss.acgan.weight = 10.0
  return config
