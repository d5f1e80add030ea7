"""Decoding in threads or processes (``data.decode_threads``, ``data.decode_processes``): the
same batches, bit for bit, in the same order; an unreadable image named from a process; no
process left behind."""

import multiprocessing
import os
import signal

import numpy as np
import pytest
from PIL import Image

from gan_jax import data
from gan_jax.data import pipeline
from gan_jax.data.decoding import Decoder
from gan_jax.data.image_folder import FolderSource
from gan_jax.utils.errors import ConfigError, GanJaxError

from data_test import store_tfds_mnist  # a real TFDS-prepared split (tests/data/data_test.py)


def mixed_folder(root, n=40):
  """RGB PNGs and JPEGs of mixed sizes, random content (resizing rounds differently per
  size, so a batch put back in the wrong order or resized as one array would show)."""
  rng = np.random.default_rng(0)
  os.makedirs(root)
  for i in range(n):
    h, w = (int(v) for v in rng.integers(20, 60, 2))
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    name, fmt = (f"{i:03d}.jpg", "JPEG") if i % 3 == 0 else (f"{i:03d}.png", "PNG")
    Image.fromarray(image).save(os.path.join(root, name), fmt)
  return root


def batches(source, steps=5, **kw):
  it = pipeline.create_train_iterator(
      source, batch_size=8, seed=3, d_steps=2, start_step=1, num_steps=1 + steps,
      **{**dict(image_size=16, resize="bilinear"), **kw})
  return list(it)


def assert_same(a, b):
  assert len(a) == len(b)
  for x, y in zip(a, b):
    assert x.keys() == y.keys()
    for k in x:
      assert x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k]), k


def test_an_image_folder_reads_the_same_bits_in_threads_and_processes(tmp_path):
  src = FolderSource(mixed_folder(str(tmp_path / "imgs")), channels=3)
  assert src.shape is None
  one = batches(src, threads=1)
  assert one[0]["image"].shape == (2, 8, 16, 16, 3)
  assert_same(one, batches(src, threads=3))
  assert_same(one, batches(src, processes=2))
  # the real-image threshold's epochs (a kept subset, dataset indices in the batch) too
  kept = np.arange(0, 40, 2)
  kw = dict(kept=kept, epoch=2, epoch_start=1)
  with_index = batches(src, threads=1, **kw)
  assert set(np.unique(with_index[0]["index"])) <= set(kept.tolist())
  assert_same(with_index, batches(src, processes=3, **kw))
  assert multiprocessing.active_children() == []  # closed iterators leave no process
  it = pipeline.create_train_iterator(src, batch_size=8, image_size=16, resize="bilinear",
                                      seed=0, d_steps=1, start_step=0, num_steps=10_000,
                                      processes=2)
  next(it)
  it.close()  # stopped early (a stop request, the end of a time limit)
  assert multiprocessing.active_children() == []


def test_a_prepared_tfds_split_reads_the_same_bits_in_threads_and_processes(tmp_path):
  """One image shape (array_record of PNGs): the parts decode to uint8 and the batch is
  resized as one array, as one read of it would be."""
  store_tfds_mnist(tmp_path / "tfds", n=64)
  src = data.load_split("mnist", "train", source="tfds", tfds_data_dir=str(tmp_path / "tfds"),
                        cache_dir=str(tmp_path / "cache"))
  assert isinstance(src, data.RecordSource) and src.shape == (28, 28, 1)
  for kw in (dict(image_size=32, resize="pad"), dict(image_size=20, resize="area")):
    one = batches(src, threads=1, **kw)
    assert_same(one, batches(src, threads=2, **kw))
    assert_same(one, batches(src, processes=3, **kw))
  refs = [pipeline.images_for_metrics(src, np.arange(50), 20, "area", chunk=16, **w)
          for w in (dict(threads=1), dict(processes=2))]
  assert refs[0].dtype == np.uint8 and np.array_equal(*refs)


def test_an_unreadable_image_in_a_process_is_named(tmp_path):
  root = mixed_folder(str(tmp_path / "imgs"), n=16)
  with open(os.path.join(root, "007.png"), "wb") as f:
    f.write(b"not a png")
  src = FolderSource(root, channels=3)
  with pytest.raises(data.UnreadableImageError, match="007.png"):
    batches(src, steps=20, processes=2)
  assert multiprocessing.active_children() == []


def test_a_negative_worker_count_is_refused():
  src = data.ArraySource(np.zeros((4, 8, 8, 1), np.uint8), np.zeros(4, np.int32), "zeros")
  with pytest.raises(ConfigError, match="decode_processes"):
    Decoder(src, 8, "pad", processes=-1)


def test_a_decoding_process_killed_stops_the_run_saying_what_to_do(tmp_path):
  src = FolderSource(mixed_folder(str(tmp_path / "imgs")), channels=3)
  it = pipeline.create_train_iterator(src, batch_size=8, image_size=16, resize="bilinear",
                                      seed=0, d_steps=1, start_step=0, num_steps=10_000,
                                      processes=2)
  next(it)
  for child in multiprocessing.active_children():
    os.kill(child.pid, signal.SIGKILL)
  with pytest.raises(GanJaxError, match="decoding process died.*decode_processes"):
    for _ in it:
      pass
  it.close()
