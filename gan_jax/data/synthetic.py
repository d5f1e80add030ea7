"""Procedurally drawn shapes, for tests and benchmarks (no download; small, held in memory):
``synthetic`` (2 classes) and ``synthetic_tags`` (3 multi-hot tags)."""

import numpy as np

from gan_jax.data.specs import DATASETS, DatasetSpec
from gan_jax.data.source import ArraySource


def synthetic(split: str, size: int, image_size: int = 28, channels: int = 1,
              seed: int = 0) -> ArraySource:
  """Filled discs and squares of random size and position; label 0 = disc, 1 = square."""
  rng = np.random.default_rng([seed, {"train": 0, "test": 1}.get(split, 2)])
  yy, xx = np.mgrid[:image_size, :image_size]
  labels = rng.integers(0, 2, size).astype(np.int32)
  r = rng.uniform(0.15, 0.35, size)[:, None, None] * image_size
  cy, cx = (rng.uniform(0.3, 0.7, (2, size))[..., None, None] * image_size)
  disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
  square = (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
  mask = np.where(labels[:, None, None] == 0, disc, square)
  colour = rng.uniform(0.5, 1.0, (size, 1, 1, channels))
  images = (mask[..., None] * colour * 255).astype(np.uint8)
  return ArraySource(images, labels, f"synthetic shapes ({size} images, seed {seed})")


def synthetic_tags(split: str, size: int, image_size: int = 28, channels: int = 1,
                   seed: int = 0) -> ArraySource:
  """The same images with multi-hot tags: (square, bright, large), at least one on."""
  src = synthetic(split, size, image_size, channels, seed)
  img = src.images.astype(np.float32)
  on = img > 0
  area = on.reshape(size, -1).mean(-1)
  brightness = img.reshape(size, -1).max(-1)
  tags = np.stack([src.labels == 1, brightness > 0.75 * 255, area > np.median(area)], -1)
  tags[~tags.any(-1), 0] = True  # at least one tag on
  return ArraySource(src.images, tags.astype(np.float32),
                     f"synthetic shapes with tags ({size} images, seed {seed})")


def _loader(draw):
  def load(split: str, spec, *, synthetic_size: int = 2048, **_) -> ArraySource:
    return draw(split, synthetic_size, channels=spec.channels)
  return load


DATASETS.register("synthetic", DatasetSpec(
    about="256 drawn grey shapes in two classes, made in memory (tests, smoke runs)",
    channels=1, native_size=28, num_classes=2, class_names=("disc", "square"),
    load=_loader(synthetic)))
DATASETS.register("synthetic_tags", DatasetSpec(
    about='drawn shapes with multi-hot tags, made in memory (tests of multi-hot conditioning)',
    channels=1, native_size=28, num_classes=3, label_kind="multi_hot",
    class_names=("square", "bright", "large"), load=_loader(synthetic_tags)))
