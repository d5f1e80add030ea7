"""Tiny CPU config for tests and CI: a small DCGAN on synthetic shapes, 12 steps.

  python -m gan_jax.main --config=configs/test.py --workdir=/tmp/gan_jax_test

Trains in seconds, logs every 4 steps, writes samples and checkpoints.
"""

from configs import default


def get_config():
  config = default.get_config()
  config.num_train_steps = 12
  config.data.name = "synthetic"
  config.data.synthetic_size = 256
  config.data.image_size = 32
  config.data.batch_size = 16
  config.model.latent_dim = 8
  config.model.g_hidden = 8
  config.model.d_hidden = 8
  config.model.g_label_dim = 4
  config.log_every = 4
  config.sample_every = 6
  config.checkpoint_every = 6
  config.num_grid_samples = 16
  config.num_samples = 16
  fid = config.evals.fid
  fid.final = False                     # Inception on CPU is slow; tests evaluate explicitly
  fid.num_samples = 16
  fid.final_num_samples = 16
  fid.reference_count = 32
  fid.batch_size = 8
  fid.kid_subsets = 5
  return config
