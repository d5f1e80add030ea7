"""What a dataset is: its channels, native size, classes and kind of label."""

import dataclasses
from typing import Callable

import numpy as np

from gan_jax.errors import GanJaxError
from gan_jax.registry import Registry

LABEL_KINDS = ("none", "class", "multi_hot")
RESIZE_METHODS = ("pad", "bilinear", "nearest", "area", "bicubic")  # data.resize


class DatasetUnavailableError(GanJaxError):
  """The dataset cannot be had here; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Split:
  images: np.ndarray  # uint8 (N, H, W, C)
  labels: np.ndarray  # int32 (N,) class indices, or (N, K) multi-hot
  source: str         # human-readable provenance, logged and saved with results


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  """A dataset by name. ``offline(split, cache_dir) -> Split`` is the fallback source;
  ``download_url`` is where TFDS downloads it from (its host is probed before a download)."""
  channels: int
  native_size: int
  num_classes: int
  label_kind: str = "class"
  tfds_name: str | None = None
  offline: Callable[[str, str], Split] | None = None
  download_url: str | None = None

  def label_shape(self) -> tuple[int, ...]:
    return (self.num_classes,) if self.label_kind == "multi_hot" else ()


DATASETS: Registry[DatasetSpec] = Registry("data.name")
