"""Helpers shared by the tests (fixtures live in conftest.py): the repository root, a folder
built once per session across xdist workers, the main command in a subprocess, a fixed
random batch and dotted-path config overrides."""

import contextlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)

from gan_jax.utils.xla_flags import with_host_devices  # noqa: E402


# XLA:CPU compiles the suite at LLVM O1 instead of its default O2: about a third less
# compile time (most of the suite's time is compiling) for no slower steps here; the bits
# differ from O2's on some configs (6 of 29 at 3 steps), and no test compares with O2's.
SUITE_XLA_FLAGS = ("--xla_backend_optimization_level=1",)


def xla_flags(devices: int) -> str:
  """XLA_FLAGS for a process a test starts, with ``devices`` emulated CPU devices: this
  process's flags (the suite's, which conftest.py sets) with that count."""
  return with_host_devices(devices)


def shared_once(tmp_path_factory, name, build=None) -> str:
  """A folder for the whole session, shared by every xdist worker: ``build(folder)`` runs
  once, in whichever worker comes first, while the others wait on a file lock (a real fetch,
  a trained classifier or a prepared dataset is made once, not once per worker)."""
  base = tmp_path_factory.getbasetemp()
  if os.environ.get("PYTEST_XDIST_WORKER"):
    base = base.parent  # the session's folder, above each worker's own
  path = base / name
  with exclusive(path):
    path.mkdir(exist_ok=True)
    if build and not (path / ".built").exists():
      build(str(path))
      (path / ".built").touch()
  return str(path)


@contextlib.contextmanager
def exclusive(path):
  """Holds a file lock on ``path`` + '.lock' (across xdist workers)."""
  import fcntl
  with open(str(path) + ".lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(lock, fcntl.LOCK_UN)


def run_main(args, timeout=240, env=None, cwd=ROOT, devices=1):
  """Runs ``python -m gan_jax.main`` in a subprocess; returns CompletedProcess. The timeout
  only guards against a hang."""
  import subprocess
  full_env = dict(os.environ, **(env or {}))
  full_env["XLA_FLAGS"] = xla_flags(devices)
  return subprocess.run([sys.executable, "-m", "gan_jax.main", *args], cwd=cwd, env=full_env,
                        capture_output=True, text=True, timeout=timeout)


def batch_for(config, seed=0, channels=1):
  """A fixed random batch for ``config``: labels drawn for its dataset's classes (class
  indices, or multi-hot vectors with at least one label on)."""
  import numpy as np
  from gan_jax import data
  spec = data.DATASETS.get(config.data.name)
  rng = np.random.default_rng(seed)
  shape = (config.loss.d_steps, config.data.batch_size, config.data.image_size,
           config.data.image_size, channels)
  if spec.label_kind == "multi_hot":
    labels = rng.integers(0, 2, shape[:2] + (spec.num_classes,)).astype(np.float32)
    labels[..., 0] = np.maximum(labels[..., 0], labels.sum(-1) == 0)
  else:
    labels = rng.integers(0, max(spec.num_classes, 2), shape[:2]).astype(np.int32)
  return {"image": rng.uniform(-1, 1, shape).astype(np.float32), "label": labels}


def configured(config, overrides: dict):
  """``config`` with dotted-path ``overrides`` applied (``{"model.name": "mlp"}``)."""
  for key, value in overrides.items():
    *path, last = key.split(".")
    node = config
    for p in path:
      node = node[p]
    node[last] = value
  return config


def restore_training_state(exp, workdir: str):
  """``(state, step)``: the whole training state of ``workdir``'s newest checkpoint (inference
  reads only the generator's arrays)."""
  from gan_jax.runs import checkpoints
  from gan_jax.runs.run_folder import RunFolder
  ckpt = checkpoints.Checkpointer(RunFolder(workdir).checkpoints, keep=1)
  try:
    return ckpt.restore(exp.abstract_state, exp.meta(), fall_back=False)
  finally:
    ckpt.close()
