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
"""

from configs import default


def get_config():
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
  config.num_grid_samples = 64
  config.log_every = 100
  config.sample_every = 1000
  config.checkpoint_every = 2000
  return config
