"""Every experiment config loads, passes validation and builds its experiment (models,
objective, optimizers, abstract state) without touching data."""

import glob
import importlib
import os

import pytest

from gan_jax import parallel
from gan_jax.experiment import Experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "configs", "*.py"))
                 if not os.path.basename(p).startswith("__"))


def test_the_readme_lists_every_experiment_config():
  readme = open(os.path.join(ROOT, "README.md")).read()
  for name in CONFIGS:
    if name not in ("default", "celeba64"):  # shared bases, not experiments
      assert f"configs/{name}.py" in readme, name


@pytest.mark.parametrize("name", CONFIGS)
def test_config_builds_its_experiment(name):
  config = importlib.import_module(f"configs.{name}").get_config()
  exp = Experiment(config, parallel.make_mesh(1))
  assert exp.abstract_state.step.shape == ()
  meta = exp.meta()
  assert meta["model"]["name"] == config.model.name
