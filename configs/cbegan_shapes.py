"""Conditional BEGAN with the conditional-BEGAN report's training tricks, on the shapes dataset
(64x64, multi-hot conditions).

  python -m gan_jax.main --config=configs/cbegan_shapes.py
  # on a folder of tagged images (labels.json, or labels.csv: file,tags with the tags separated
  # by ';', e.g. "001.png,blue hair;red eyes"; see docs/data.md)
  python -m gan_jax.main --config=configs/cbegan_shapes.py --config.data.name=image_folder \\
      --config.data.folder=DIR --config.data.resize=bilinear

BEGAN (gan_jax/models/began.py, gan_jax/losses/equilibrium.py) with the report's settings: batch 16,
base filters 128, z 64 ~ U(-1, 1), condition embedding 16 (beside z in G, beside the code in
D's bottleneck, each followed by a fully connected layer), gamma 0.4, lambda_k 0.001, Adam 5e-5
halved when the convergence measure M stalls, bilinear up- and down-sampling. The tricks: D is
rewarded for reconstructing real images badly under a wrong condition, capped at 1.5 x L(x)
(``loss.began.mismatch_weight``), the out-of-bound penalty on G's outputs, and the real-image
threshold (before each epoch, drop the real images whose reconstruction error last epoch was
above mean + 2 std). The report trained 127 epochs (142,875 steps at 18,000 images).

  python -m gan_jax.main --config=configs/cbegan_shapes.py:cpu

The ``cpu`` preset: 32x32 images (area-resized), base filters 32, Adam 1e-4 (the BEGAN
paper's), the wrong-condition term at weight 0.5, an EMA of G, 2,000 steps. At weight 1 the
term's gradient cancels the real-image term's whenever D cannot yet tell a wrong condition
from a right one (L_wrong = L(x)), nothing holds D's reconstructions back, and L(x) grew from
0.6 to 14 in 300 steps; at 0.5 it fell to 0.12.
"""

from configs import began_fashion_mnist, cgan_shapes


def get_config(preset=""):
  config = began_fashion_mnist.get_config()
  config.num_train_steps = 142875
  config.data.name = "shapes"
  config.data.image_size = 64
  config.data.batch_size = 16
  config.model.conditional = True
  config.model.g_label_dim = 16
  config.model.began.upsample = "bilinear"
  config.model.began.downsample = "bilinear"
  config.loss.began.mismatch_weight = 1.0
  config.loss.began.mismatch_cap = 1.5
  config.loss.out_of_bound = 1.0
  config.data.real_threshold.enabled = True
  config.evals.fid.final = False
  config.evals.conditional_score.final = True
  config.evals.conditional_score.every = 5000
  config.evals.condition_diversity.final = True   # collapse in z within a condition
  return cgan_shapes.preset_of(config, preset, cpu_budget)


def cpu_budget(config):
  config.num_train_steps = 2000
  config.data.image_size = 32
  config.data.resize = "area"
  config.model.began.filters = 32
  config.g_optimizer.lr = config.d_optimizer.lr = 1e-4
  config.loss.began.mismatch_weight = 0.5
  config.ema_decay = 0.995
  config.lr_plateau.window = 500
  config.evals.conditional_score.every = 1000
  config.sample_every = 500
  config.checkpoint_every = 1000
  return config
