"""What a dataset is: its channels, size, classes and kind of label, where it comes from, and
the registry of datasets by name (``data.name``)."""

import dataclasses
from typing import Callable

import numpy as np

from gan_jax.data.source import ArraySource, Source
from gan_jax.utils.errors import GanJaxError
from gan_jax.utils.registry import Registry

LABEL_KINDS = ("none", "class", "multi_hot")
RESIZE_METHODS = ("pad", "bilinear", "nearest", "area", "bicubic")  # data.resize
FITS = ("crop", "squash", "pad")  # data.fit: how a non-square image becomes square


class DatasetUnavailableError(GanJaxError):
  """The dataset cannot be had here; the message says what to do."""


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
  # the splits a judge (classifier) trains on and is held-out-scored on
  judge_splits: tuple[str, str] = ("train", "test")
  about: str = ""  # one line for the parts catalogue (docs/parts.md)

  def class_name(self, i: int) -> str:
    return self.class_names[i] if i < len(self.class_names) else str(i)

  def label_shape(self) -> tuple[int, ...]:
    return (self.num_classes,) if self.label_kind == "multi_hot" else ()


DATASETS: Registry[DatasetSpec] = Registry("data.name")
