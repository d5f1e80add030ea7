"""Each resize equals its reference implementation on real images."""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from gan_jax import data
from gan_jax.metrics import preprocess as fid_preprocess
from helpers import ROOT

DATA = os.path.join(ROOT, "tests", "golden")


@pytest.fixture(scope="module")
def real_images(offline_cache):
  """Three real 28x28 Fashion-MNIST test images (the offline source)."""
  return data.load_split("fashion_mnist", "test", source="offline",
                         cache_dir=offline_cache).read([0, 1, 2])[0]


def test_tf1_bilinear_equals_tf_legacy_resize(real_images):
  x = real_images.astype(np.float32)
  want = tf.raw_ops.ResizeBilinear(images=x, size=[299, 299], align_corners=False,
                                   half_pixel_centers=False).numpy()
  got = np.asarray(fid_preprocess.resize(x, 299, "tf1_bilinear"))
  np.testing.assert_allclose(got, want, atol=2e-3)


def test_torch_bilinear_equals_torch_golden():
  g = np.load(os.path.join(DATA, "torch_resize_golden.npz"))
  for i in range(3):
    x = g[f"in{i}"].transpose(0, 2, 3, 1)  # NCHW -> NHWC
    want = g[f"out{i}"].transpose(0, 2, 3, 1)
    h, w = want.shape[1:3]
    rh = fid_preprocess.resize_matrix(x.shape[1], h, "torch_bilinear")
    rw = fid_preprocess.resize_matrix(x.shape[2], w, "torch_bilinear")
    got = np.einsum("oh,bhwc,pw->bopc", rh, x, rw)
    np.testing.assert_allclose(got, want, atol=1e-3)


@pytest.mark.parametrize("size", [299, 20])  # enlarging and shrinking (antialiased)
def test_pil_bicubic_equals_pil(size, real_images):
  x = real_images
  got = np.asarray(fid_preprocess.resize(x.astype(np.float32), size, "pil_bicubic"))
  for i in range(len(x)):
    want = np.asarray(Image.fromarray(x[i, ..., 0].astype(np.float32), mode="F").resize(
        (size, size), resample=Image.BICUBIC))
    np.testing.assert_allclose(got[i, ..., 0], want, atol=2e-3)


def test_inception_input_range_and_channels(real_images):
  x = real_images
  y = np.asarray(fid_preprocess.to_inception_input(x))
  assert y.shape == (3, 299, 299, 3) and y.min() >= -1.0 and y.max() < 1.0
  np.testing.assert_array_equal(y[..., 0], y[..., 2])  # grey tiled


def test_bad_images_are_clear_errors():
  with pytest.raises(fid_preprocess.MetricInputError, match=r"\[-1, 1\]"):
    fid_preprocess.quantize(np.full((2, 8, 8, 1), 3.0))
  with pytest.raises(fid_preprocess.MetricInputError, match="NaN"):
    fid_preprocess.quantize(np.full((2, 8, 8, 1), np.nan))
  with pytest.raises(fid_preprocess.MetricInputError, match="1 or 3"):
    fid_preprocess.to_inception_input(np.zeros((2, 8, 8, 2), np.uint8))
  with pytest.raises(fid_preprocess.MetricInputError, match="uint8"):
    fid_preprocess.to_inception_input(np.zeros((2, 8, 8, 1), np.float32))
  with pytest.raises(fid_preprocess.MetricInputError, match="choose one of"):
    fid_preprocess.resize(np.zeros((1, 8, 8, 1), np.float32), 16, "lanczos")
  q = fid_preprocess.quantize(np.array([-1.0, -0.2, 0.0, 1.0]).reshape(1, 2, 2, 1))
  assert q.ravel().tolist() == [0, 102, 128, 255]
