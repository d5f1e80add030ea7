"""Generating stands below training: inference builds no optimizer and imports nothing of
training, and the generation parts never import training or inference."""

import ast
import os
import subprocess
import sys

from helpers import ROOT

PACKAGE = os.path.join(ROOT, "gan_jax")


def _imports(path):
  tree = ast.parse(open(path).read())
  for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom) and node.module == "gan_jax":
      yield from (f"gan_jax.{a.name}" for a in node.names)  # from gan_jax import data
    elif isinstance(node, ast.ImportFrom) and node.module:
      yield node.module
    elif isinstance(node, ast.Import):
      yield from (a.name for a in node.names)


# Each package imports only from its own floor or below (docs/development.md, "Floors").
FLOORS = {"utils": 0, "data": 1, "models": 1, "losses": 1, "metrics": 1, "runs": 1,
          "classifiers": 2, "evaluators": 3, "generation": 4, "training": 5, "inference": 5,
          "cli": 6}


def test_nothing_in_the_package_imports_from_a_floor_above_its_own():
  upward = []
  for dirpath, _, names in os.walk(PACKAGE):
    here = os.path.relpath(dirpath, PACKAGE).split(os.sep)[0]
    if here not in FLOORS:
      continue
    for name in (n for n in names if n.endswith(".py")):
      for module in _imports(os.path.join(dirpath, name)):
        parts = module.split(".")
        if parts[0] == "gan_jax" and len(parts) > 1 and FLOORS.get(parts[1], -1) > FLOORS[here]:
          upward.append(f"gan_jax/{here}/{name} imports {module}")
  assert not upward, upward


def test_generation_and_inference_import_nothing_of_training():
  for folder, banned in (("generation", ("gan_jax.training", "gan_jax.inference")),
                         ("inference", ("gan_jax.training",))):
    for name in os.listdir(os.path.join(PACKAGE, folder)):
      if name.endswith(".py"):
        wrong = [m for m in _imports(os.path.join(PACKAGE, folder, name)) if m.startswith(banned)]
        assert not wrong, f"gan_jax/{folder}/{name} imports {wrong}"


def test_sampling_a_run_loads_no_training_code_and_no_optimizer(tmp_path):
  workdir = str(tmp_path / "run")
  train = subprocess.run([sys.executable, "-m", "gan_jax.main", "--config=configs/test.py",
                          f"--workdir={workdir}", "--config.num_train_steps=2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert train.returncode == 0, train.stderr[-2000:]
  code = (
      "import sys\n"
      "from configs import test\n"
      "from gan_jax.inference import grid\n"
      "path = grid.sample(test.get_config(), sys.argv[1])\n"
      "loaded = sorted(m for m in sys.modules if m.startswith(('gan_jax.training', 'optax')))\n"
      "print(path, loaded)\n")
  r = subprocess.run([sys.executable, "-c", code, workdir], cwd=ROOT, capture_output=True,
                     text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
  assert "sample_step000002_seed0.png" in r.stdout
  assert "gan_jax.training" not in r.stdout, r.stdout


def test_no_module_of_the_package_or_the_launch_tools_is_over_300_lines():
  long = []
  for top in ("gan_jax", "launch"):
    for dirpath, _, names in os.walk(os.path.join(ROOT, top)):
      for name in names:
        if name.endswith(".py"):
          path = os.path.join(dirpath, name)
          with open(path) as f:
            n = sum(1 for _ in f)
          if n > 300:
            long.append((os.path.relpath(path, ROOT), n))
  assert not long, f"split these by what they do: {long}"


def test_no_two_modules_of_the_package_share_a_name():
  seen = {}
  for dirpath, _, names in os.walk(PACKAGE):
    for name in names:
      if name.endswith(".py") and name != "__init__.py":
        seen.setdefault(name, []).append(os.path.relpath(os.path.join(dirpath, name), ROOT))
  assert not {k: v for k, v in seen.items() if len(v) > 1}
