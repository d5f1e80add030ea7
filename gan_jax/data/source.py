"""A split of a dataset once resolved: a ``Source`` read by index, never held whole in memory
(except the small synthetic test set)."""

import numpy as np

from gan_jax.utils.errors import GanJaxError


class UnreadableImageError(GanJaxError):
  """An image file cannot be decoded; the message names it."""


class Source:
  """One split of a dataset, read by index.

  ``shape`` is (H, W, C) when every image has it (then ``read`` returns a stacked batch),
  else None (an image folder of mixed sizes: ``read_image`` one at a time).
  ``label_shape`` is () for class indices (int32), (K,) for multi-hot (float32); a dataset
  without labels reads zeros (int32)."""
  description: str = ""
  shape: tuple[int, int, int] | None = None
  channels: int = 1
  label_shape: tuple[int, ...] = ()

  @property
  def label_dtype(self):
    return np.float32 if self.label_shape else np.int32

  def __len__(self) -> int:
    raise NotImplementedError

  def read(self, indices) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, H, W, C) and labels of ``indices`` (uniform shapes only)."""
    images, labels = zip(*(self.read_image(int(i)) for i in indices))
    return np.stack(images), np.asarray(labels, self.label_dtype)

  def read_image(self, index: int) -> tuple[np.ndarray, np.ndarray]:
    images, labels = self.read([index])
    return images[0], labels[0]

  def all_labels(self) -> np.ndarray:
    """The labels of every image, in index order (sources that hold their labels apart from
    the images override this and decode no image)."""
    if self.shape:
      chunks = [self.read(range(i, min(i + 1024, len(self))))[1]
                for i in range(0, len(self), 1024)]
      return (np.concatenate(chunks) if chunks
              else np.zeros((0,) + self.label_shape, self.label_dtype))
    return np.asarray([self.read_image(i)[1] for i in range(len(self))], self.label_dtype)


class ArraySource(Source):
  """Images held as one array: the procedurally drawn test set, and data written by tests."""

  def __init__(self, images: np.ndarray, labels: np.ndarray, description: str):
    self.images, self.labels, self.description = images, labels, description
    self.shape = tuple(images.shape[1:])
    self.channels = images.shape[-1]
    self.label_shape = tuple(labels.shape[1:])

  def __len__(self):
    return len(self.images)

  def read(self, indices):
    idx = np.asarray(indices, np.int64)
    return self.images[idx], self.labels[idx].astype(self.label_dtype)

  def all_labels(self):
    return self.labels.astype(self.label_dtype)


class SubsetSource(Source):
  """The images ``indices`` of another source, re-indexed 0..n-1 (``data.train_subset``)."""

  def __init__(self, base: Source, indices, what: str):
    self.base, self.indices = base, np.asarray(indices, np.int64)
    self.shape, self.channels, self.label_shape = base.shape, base.channels, base.label_shape
    self.description = f"{base.description}; {what}"
    for name in ("label_kind", "label_names"):
      if hasattr(base, name):
        setattr(self, name, getattr(base, name))

  def __len__(self):
    return len(self.indices)

  def read(self, indices):
    return self.base.read(self.indices[np.asarray(indices, np.int64)])

  def read_image(self, index):
    return self.base.read_image(int(self.indices[int(index)]))

  def all_labels(self):
    return self.base.all_labels()[self.indices]
