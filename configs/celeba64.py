"""The CelebA upsampling/WGAN study's data and schedule, shared by its configs: CelebA at
64x64 (the GAN papers' crop: the centred 108x108 square, resized to 64 with area averaging),
the study's random subset of 10,000 training images (``data.train_subset``, seeded by
``data.train_subset_seed``; 0 trains on all 162,770), batch 128, Adam(2e-4, 0.5, 0.999),
latent 100, DCGAN widths 64 (G: 512-256-128-64, D: 64-128-256-512).

Which DCGAN: the study cites Radford et al.'s architecture, whose figure projects z to
4x4x1024 (widths 128 here), and trains with the PyTorch DCGAN tutorial's settings to the
letter (CelebA at 64x64, batch 128, lr 2e-4, beta1 0.5, latent 100); that tutorial's
networks, the ones such course code copies, have widths 64 (ngf = ndf = 64: G 512-256-128-64),
so these configs use 64. Radford's figure: ``--config.model.g_hidden=128
--config.model.d_hidden=128``.

CelebA is read from TFDS (`celeb_a`, prepared once with `tfds build celeb_a
--file_format=array_record`, see the README). Without it, every config of the study runs on
Fashion-MNIST resized to 64x64 (grey, offline):
  --config.data.name=fashion_mnist --config.data.crop=0 --config.data.resize=bilinear
5,000 steps at batch 128 are 64 epochs of the 10,000 images (the study's samples and Table 2
are at epochs 21-50).

Every config of the study takes the ``cpu`` preset (``--config=configs/<name>.py:cpu``), the
reduced budget of its reproduction on a 2-core CPU (``launch/reproduce.py``): widths 16
instead of 64 (G 128-64-32-16, D 16-32-64-128, 1/16 of the arithmetic), 1,000 steps, FID on
1,000 samples against 1,000 reference images. The Inception Score needs pytorch-fid's weights
(``--config.evals.fid.inception_score=True --config.evals.fid.weights=<.pth>``).
"""

from configs import default


def get_config(preset=""):
  config = default.get_config()
  config.num_train_steps = 5000
  config.data.name = "celeb_a"
  config.data.image_size = 64
  config.data.crop = 108
  config.data.resize = "area"
  config.data.batch_size = 128
  config.data.decode_threads = 2
  config.data.train_subset = 10000     # the study's 10k images
  config.model.name = "dcgan"
  config.model.latent_dim = 100
  config.model.g_hidden = 64
  config.model.d_hidden = 64
  config.evals.fid.reference_split = "train"
  config.sample_every = 250
  config.checkpoint_every = 500
  return study_preset(config, preset)


def study_preset(config, preset):
  """``preset``: '' (the study's settings) or 'cpu' (the reduced budget above)."""
  if preset not in ("", "cpu"):
    raise ValueError(f"unknown preset {preset!r} (known: cpu); e.g. --config=<file>.py:cpu")
  if preset == "cpu":
    config.num_train_steps = 1000
    config.model.g_hidden = 16
    config.model.d_hidden = 16
    config.evals.fid.final_num_samples = 1000
    config.evals.fid.reference_count = 1000
    config.evals.wasserstein.final_num_samples = 1000  # where it is on (the WGAN)
    config.evals.wasserstein.reference_count = 1000
    config.evals.wasserstein.critic_steps = 500
  return config
