"""What a dataset is (its channels, size, classes and kind of label) and what a split of it
is once resolved: a ``Source`` read by index, never held whole in memory (except the small
synthetic test set)."""

import dataclasses
from typing import Callable

import numpy as np

from gan_jax.utils.errors import GanJaxError
from gan_jax.utils.registry import Registry

LABEL_KINDS = ("none", "class", "multi_hot")
RESIZE_METHODS = ("pad", "bilinear", "nearest", "area", "bicubic")  # data.resize


class DatasetUnavailableError(GanJaxError):
  """The dataset cannot be had here; the message says what to do."""


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


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  """A dataset by name. ``offline(split, cache_dir) -> ArraySource`` is the fallback source
  (written once to an array_record TFDS dataset in the cache, then read by index);
  ``download_url`` is where TFDS downloads it from (its host is probed before a download);
  ``image_key`` / ``label_key`` name the TFDS features (``label_key=None``: no labels)."""
  channels: int
  native_size: int | None
  num_classes: int
  label_kind: str = "class"
  tfds_name: str | None = None
  offline: Callable[[str, str], ArraySource] | None = None
  download_url: str | None = None
  image_key: str = "image"
  label_key: str | None = "label"
  manual: str = ""  # how to prepare it when it cannot be downloaded here
  class_names: tuple[str, ...] = ()  # names of the labels (grids, histograms, --labels)
  local_builder: str = ""  # module of a TFDS builder that prepares it here, with no network
  # fixed lists of conditions to evaluate on: name -> labels (N, K) (the shapes dataset's)
  condition_lists: Callable[[str], np.ndarray] | None = None
  # a dataset that reads itself (image folders, synthetic shapes), outside the TFDS / offline
  # sources: load(split, spec, **data options) -> Source
  load: Callable[..., "Source"] | None = None
  # a spec that depends on the data block (an image folder's channels and labels):
  # resolve(data_cfg) -> DatasetSpec
  resolve: Callable[..., "DatasetSpec"] | None = None

  def class_name(self, i: int) -> str:
    return self.class_names[i] if i < len(self.class_names) else str(i)

  def label_shape(self) -> tuple[int, ...]:
    return (self.num_classes,) if self.label_kind == "multi_hot" else ()


DATASETS: Registry[DatasetSpec] = Registry("data.name")
