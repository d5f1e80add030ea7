"""The i-CLEVR conditional-DCGAN report's network, on the procedural shapes dataset (64x64 RGB,
1-3 objects of 24 classes, multi-hot conditions; prepared as a TFDS dataset on first use, no
download).

  python -m gan_jax.main --config=configs/cgan_shapes.py

G: the condition through Linear(24, 200) (bias, PyTorch init) beside z (100) -> 300 channels
at 1x1 -> ConvT 512 (k4 s1 p0) -> 256 -> 128 -> 64 (k4 s2 p1, each BN ReLU) -> ConvT 3 tanh.
D: the condition through Linear(24, 64*64) to one plane beside the image (4 channels) ->
Conv 64 -> 128 -> 256 -> 512 (k4 s2 p1, each BN, LeakyReLU 0.01) -> Conv 1 (k4 s1 p0, the
only biased convolution). N(0, 0.02) weights, BN scale N(1, 0.02). Adam lr 1e-4 (betas not
stated by the report: DCGAN's 0.5, 0.999), batch 64, non-saturating BCE. The report trained
200 epochs (56,250 steps at 18,000 images); its score: 0.70 (test) / 0.71 (new_test).

At the end, the report's score on both condition lists (10 samples per condition) with the
multi-label shapes classifier (trained once, on first use). FID is off (Inception on CPU is
slow); enable it with --config.evals.fid.final=True.

  python -m gan_jax.main --config=configs/cgan_shapes.py:cpu

The ``cpu`` preset fits a CPU budget (``cpu_budget`` below): 32x32 images (area-resized),
the report's widths / 4, a projection discriminator with spectral norm and no batch norm, the
hinge loss, Adam 2e-4 (0, 0.9), DiffAugment translation, an EMA of G for sampling, 5,000
steps (about 12 minutes on 2 CPU cores); the other shapes configs take the same preset.

On the report's own data, i-CLEVR as released (objects.json, train.json, test.json,
new_test.json, images/; docs/data.md), every shapes config takes one override:

  python -m gan_jax.main --config=configs/cgan_shapes.py \
      --config.data.name=iclevr --config.data.folder=DIR --config.data.fit=squash
"""

from configs import default


def get_config(preset=""):
  config = default.get_config()
  config.num_train_steps = 56250          # 200 epochs of 18,000 images at batch 64
  config.data.name = "shapes"
  config.data.image_size = 64
  config.data.batch_size = 64
  config.model.name = "dcgan"
  config.model.latent_dim = 100
  config.model.g_hidden = 64
  config.model.d_hidden = 64
  config.model.conditional = True
  config.model.g_label_dim = 200
  config.model.g_label_bias = True
  config.model.d_label_input = "dense_plane"
  config.model.dcgan.d_slope = 0.01
  config.model.dcgan.d_first_norm = True
  config.model.dcgan.d_last_bias = True
  config.g_optimizer = default.optimizer("adam", lr=1e-4)
  config.d_optimizer = default.optimizer("adam", lr=1e-4)
  config.evals.fid.final = False
  config.evals.conditional_score.final = True
  config.evals.conditional_score.every = 2000
  config.evals.condition_diversity.final = True   # collapse in z within a condition
  config.num_grid_samples = 64
  config.log_every = 100
  config.sample_every = 1000
  config.checkpoint_every = 2000
  return preset_of(config, preset, cpu_budget)


def preset_of(config, preset, cpu):
  """``preset``: '' (the report's settings) or 'cpu' (``cpu(config)``)."""
  if preset == "cpu":
    return cpu(config)
  if preset:
    raise ValueError(f"unknown preset {preset!r} (known: cpu); e.g. --config=<file>.py:cpu")
  return config


def cpu_budget(config, steps=5000):
  """What trains in minutes on a CPU: 32x32 images, G 128 -> 64 -> 32 -> 3 and D 32 -> 64 ->
  128 (the report's widths / 4), D a projection discriminator (Miyato & Koyama) with
  spectral norm and biases instead of batch norm, the hinge loss, Adam 2e-4 with betas (0,
  0.9) as in the spectral-norm papers, DiffAugment translation on every image D sees, an
  EMA of G (samples and scores use it). The report's conditioning of G (Linear(24, 200)
  beside z) is kept. Without D's biases this D is positively homogeneous (D(0) = 0) and G
  shrinks to a flat grey image; without the augmentation D learns blobs of colour."""
  config.num_train_steps = steps
  config.data.image_size = 32
  config.data.resize = "area"
  config.model.g_hidden = 32
  config.model.d_hidden = 32
  config.model.d_label_input = "projection"
  default.spectral_norm_d(config.model.dcgan)
  config.loss.name = "hinge"
  config.g_optimizer = default.optimizer("adam", lr=2e-4)
  config.d_optimizer = default.optimizer("adam", lr=2e-4)
  for opt in (config.g_optimizer, config.d_optimizer):
    opt.adam.b1, opt.adam.b2 = 0.0, 0.9
  config.diff_augment = "translation"
  config.ema_decay = 0.995
  config.evals.conditional_score.every = 1000
  config.sample_every = 1000
  config.checkpoint_every = 1000
  return config
