"""The conditional-BEGAN report on its own data: anime faces conditioned on hair and eye
colour (a folder with tags_clean.csv and faces/, optionally testing_tags.txt; docs/data.md).

  python -m gan_jax.main --config=configs/cbegan_anime.py --config.data.folder=DIR

The report's settings, as configs/cbegan_shapes.py has them: BEGAN with bilinear up- and
down-sampling, batch 16, base filters 128, z 64 ~ U(-1, 1), condition embedding 16, gamma
0.4, lambda_k 0.001, Adam 5e-5 halved when M stalls, the wrong-condition term capped at
1.5 x L(x), the out-of-bound penalty and the real-image threshold; 64x64 faces (the 96x96
images area-resized). The condition is one hair colour and one eye colour (gan_jax/data/
anime.py); the report trained 127 epochs: 127 x (kept images) / 16 steps, the kept count
being in the log's first lines (``--config.num_train_steps``; 250,000 steps below is 127
epochs of 31,500 images). At the end: the report's M, and the score of a judge of the two
attributes on the test descriptions (``evals.conditional_score``, when testing_tags.txt is
there) and diversity within a condition.

  python -m gan_jax.main --config=configs/cbegan_anime.py:cpu --config.data.folder=DIR

The ``cpu`` preset is cbegan_shapes' (32x32, filters 32, Adam 1e-4, wrong-condition weight
0.5, an EMA of G, 2,000 steps).
"""


from configs import cbegan_shapes, cgan_shapes


def get_config(preset=""):
  config = cbegan_shapes.get_config()
  config.num_train_steps = 250000
  config.data.name = "anime_faces"
  config.data.image_size = 64
  config.data.resize = "area"
  # the score needs the test descriptions; a folder without them evaluates diversity only
  config.evals.conditional_score.lists = "test"
  return cgan_shapes.preset_of(config, preset, cbegan_shapes.cpu_budget)
