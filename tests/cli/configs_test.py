"""Every experiment config loads, passes validation and builds its experiment (models,
objective, optimizers, abstract state) without touching data."""

import glob
import importlib
import os

import pytest

from gan_jax.training.build import Experiment
from gan_jax.utils import parallel

from helpers import ROOT  # noqa: E402
CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "configs", "*.py"))
                 if not os.path.basename(p).startswith("__"))


def test_the_readme_and_the_experiments_page_list_every_experiment_config():
  readme = open(os.path.join(ROOT, "README.md")).read()
  page = open(os.path.join(ROOT, "docs", "experiments.md")).read()
  for name in CONFIGS:
    if name not in ("default", "celeba64"):  # shared bases, not experiments
      assert f"`{name}.py`" in readme, name
      assert f"python -m gan_jax.main --config=configs/{name}.py" in page, name


# configs taking a preset argument (--config=configs/<name>.py:<preset>)
PRESETS = [("cgan_shapes", "cpu"), ("acgan_shapes", "cpu"), ("wgan_shapes", "cpu"),
           ("cbegan_shapes", "cpu"), ("dcgan_mnist", "cpu"), ("mlp_mnist", "cpu"),
           ("mlp_mnist_plain_d", "cpu"), ("celeba64", "cpu"), ("wgan_celeba64", "cpu"),
           ("dcgan_celeba64_dynamic", "cpu"), ("dcgan_celeba64_nearest", "cpu"),
           ("cbegan_anime", "cpu")]


@pytest.mark.parametrize("name,preset", [(n, "") for n in CONFIGS] + PRESETS)
def test_config_builds_its_experiment(name, preset, tmp_path):
  module = importlib.import_module(f"configs.{name}")
  config = module.get_config(preset) if preset else module.get_config()
  if config.data.name == "anime_faces":  # a folder of the user's: a small one in its layout
    from formats import write_anime_faces
    write_anime_faces(str(tmp_path), n=8)
    config.data.folder = str(tmp_path)
  exp = Experiment(config, parallel.make_mesh(1))
  assert exp.abstract_state.step.shape == ()
  meta = exp.meta()
  assert meta["model"]["name"] == config.model.name


def test_a_preset_changes_the_budget_and_an_unknown_one_is_named():
  from configs import cgan_shapes
  full, cpu = cgan_shapes.get_config(), cgan_shapes.get_config("cpu")
  assert (full.data.image_size, cpu.data.image_size) == (64, 32)
  assert cpu.num_train_steps < full.num_train_steps
  with pytest.raises(ValueError, match="unknown preset 'gpu'.*known: cpu"):
    cgan_shapes.get_config("gpu")


def test_report_configs_default_to_the_reports_own_settings():
  """Where a report states a setting, its config's default is that setting."""
  from configs import acgan_shapes, celeba64, dcgan_celeba64_bilinear, wgan_celeba64
  for module in (celeba64, wgan_celeba64, dcgan_celeba64_bilinear):
    c = module.get_config()
    assert c.data.batch_size == 128, module.__name__            # the CelebA study's batch
    assert c.data.train_subset == 10000, module.__name__        # on its 10k images
  assert acgan_shapes.get_config().num_train_steps == 500 * 18000 // 64  # 500 epochs
