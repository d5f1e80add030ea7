"""Procedurally drawn shapes, for tests and benchmarks (no download; small, held in memory)."""

import numpy as np

from gan_jax.data.specs import DATASETS, ArraySource, DatasetSpec


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


DATASETS.register("synthetic", DatasetSpec(channels=1, native_size=28, num_classes=2))
