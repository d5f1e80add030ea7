"""Test set-up: 8 emulated CPU devices (before JAX starts) and shared helpers."""

import os
import sys

os.environ["XLA_FLAGS"] = " ".join(
    [f for f in os.environ.get("XLA_FLAGS", "").split() if "device_count" not in f]
    + ["--xla_force_host_platform_device_count=8"])
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["JAX_PLATFORMS"] = "cpu"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)

import pytest  # noqa: E402


@pytest.fixture
def test_config():
  from configs import test
  return test.get_config()


def run_main(args, timeout=240, env=None, cwd=ROOT):
  """Runs ``python -m gan_jax.main`` in a subprocess; returns CompletedProcess."""
  import subprocess
  full_env = dict(os.environ, **(env or {}))
  full_env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=1"
  return subprocess.run([sys.executable, "-m", "gan_jax.main", *args], cwd=cwd, env=full_env,
                        capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def fid_cache(tmp_path_factory):
  """A fresh cache holding the Inception weights, fetched and converted for real once."""
  from gan_jax import inception_weights
  cache = str(tmp_path_factory.mktemp("fid_cache"))
  inception_weights.load(cache)
  return cache
