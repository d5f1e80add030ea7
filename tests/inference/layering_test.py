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
    if isinstance(node, ast.ImportFrom) and node.module:
      yield node.module
    elif isinstance(node, ast.Import):
      yield from (a.name for a in node.names)


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
