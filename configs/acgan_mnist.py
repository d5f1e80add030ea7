"""ACGAN on MNIST: the dcgan_mnist networks; G gets the one-hot digit beside z, D does not see
the label but predicts it (an auxiliary softmax classifier on its last hidden layer, class
loss weight 1, on real and generated images as the ACGAN paper).

  python -m gan_jax.main --config=configs/acgan_mnist.py

``--config.loss.acgan.d_fake_class=False`` drops D's class loss on generated images.
"""

from configs import cdcgan_mnist


def get_config():
  config = cdcgan_mnist.get_config()
  config.model.d_label_input = "none"
  config.loss.acgan.weight = 1.0
  return config
