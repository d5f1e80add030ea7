"""The numpy input pipeline against TensorFlow: every resize method of ``data.resize`` equals
``tf.image.resize`` (antialias off) up and down, with the centre crop; the prefetching thread
carries errors and stops when the consumer does."""

import numpy as np
import pytest
import tensorflow as tf

from gan_jax import data
from gan_jax.data import pipeline


@pytest.mark.parametrize("method", ["bilinear", "nearest", "area", "bicubic"])
@pytest.mark.parametrize("size,crop,out", [((28, 28), 0, 32), ((28, 28), 0, 64),
                                           ((64, 64), 0, 32), ((218, 178), 108, 64),
                                           ((37, 53), 0, 20), ((30, 30), 0, 13)])
def test_resize_equals_tensorflows(method, size, crop, out):
  rng = np.random.default_rng(hash((method, size, crop, out)) % 2**32)
  images = rng.integers(0, 256, (3,) + size + (3,)).astype(np.uint8)
  x = tf.cast(images, tf.float32) / 127.5 - 1.0
  h, w = size  # the centred square crop (crop 0: the largest)
  side = min(h, w, crop) if crop else min(h, w)
  x = x[:, (h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
  want = tf.clip_by_value(tf.image.resize(x, (out, out), method=method), -1.0, 1.0).numpy()
  got = pipeline.preprocess(images, out, method, crop)
  assert got.shape == want.shape and got.dtype == np.float32
  np.testing.assert_allclose(got, want, atol=2e-5, rtol=0)
  one = pipeline.preprocess(images[1], out, method, crop)  # a single (H, W, C) image
  np.testing.assert_allclose(one, got[1], atol=1e-6, rtol=0)


def test_fit_crop_squash_or_pad_a_wide_frame():
  """A 320x240 frame (i-CLEVR's) with a bright column at each side: ``crop`` (the default)
  keeps the centred 240x240 square and loses them, ``squash`` resizes the whole frame (each
  axis on its own: tf.image.resize to a square), ``pad`` keeps its aspect between black bands."""
  img = np.full((2, 240, 320, 3), 100, np.uint8)
  img[:, :, :20] = img[:, :, -20:] = 255
  crop = pipeline.preprocess(img, 64, "area")
  assert np.array_equal(crop, pipeline.preprocess(img, 64, "area", fit="crop"))
  assert crop.max() < 0  # the sides are gone
  squash = pipeline.preprocess(img, 64, "area", fit="squash")
  want = tf.image.resize(tf.cast(img, tf.float32) / 127.5 - 1.0, (64, 64), method="area").numpy()
  np.testing.assert_allclose(squash, want, atol=2e-5)
  assert squash[:, :, :3].min() > 0.9 and squash[:, :, -3:].min() > 0.9
  pad = pipeline.preprocess(img, 64, "area", fit="pad")  # 320x320 -> 64: bands of 8 rows
  assert (pad[:, :8] == -1).all() and (pad[:, -8:] == -1).all()
  assert pad[:, 8:56, :3].min() > 0.9 and pad[:, 30, 10:54].max() < 0
  with pytest.raises(Exception, match="data.fit"):
    pipeline.preprocess(img, 64, "area", fit="stretch")


def test_pad_keeps_the_image_and_fills_black():
  images = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1)).astype(np.uint8)
  got = pipeline.preprocess(images, 32, "pad")
  np.testing.assert_array_equal(got[:, 2:30, 2:30], images / np.float32(127.5) - 1.0)
  assert (got[:, :2] == -1).all() and (got[:, :, 30:] == -1).all()


def test_an_error_while_reading_reaches_the_consumer_and_closing_stops_the_reader():
  split = data.synthetic.synthetic("train", 64)

  class Broken(data.ArraySource):
    def read(self, indices):
      raise data.UnreadableImageError("image 3 is broken")

  broken = Broken(split.images, split.labels, "broken")
  it = pipeline.create_train_iterator(broken, batch_size=8, image_size=32, resize="pad",
                                      seed=0, d_steps=1, start_step=0, num_steps=5)
  with pytest.raises(data.UnreadableImageError, match="image 3 is broken"):
    next(it)
  ok = pipeline.create_train_iterator(split, batch_size=8, image_size=32, resize="pad",
                                      seed=0, d_steps=1, start_step=0, num_steps=1000)
  first = next(ok)
  assert first["image"].shape == (1, 8, 32, 32, 1)
  ok.close()  # the reading thread ends instead of reading 999 more steps


def test_the_order_is_a_seeded_permutation_per_epoch():
  a = pipeline.epoch_order(3, 0, 100)
  assert sorted(a) == list(range(100))
  np.testing.assert_array_equal(a, pipeline.epoch_order(3, 0, 100))
  assert not np.array_equal(a, pipeline.epoch_order(3, 1, 100))
  assert not np.array_equal(a, pipeline.epoch_order(4, 0, 100))
