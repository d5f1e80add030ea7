"""Resolving a dataset name to a split read by index, in seconds, never by waiting on a
network that is not there. Every dataset ends as an array_record TFDS dataset on disk, read
by index without TensorFlow (``records.py``; nothing held in memory). Data prepared earlier is
found on disk first, with no TFDS or TensorFlow import; otherwise TFDS prepares it, once:

  1. TFDS, when the dataset is prepared in the TFDS data dir (array_record: read in place;
     another format, e.g. TFDS's default tfrecord: copied once to array_record in the cache);
  2. a TFDS download, when ``source`` allows it and the dataset's own download host answers
     within 3 s; a download that fails for any reason falls back to step 3 (``auto``) with the
     reason logged, or is an error naming it (``tfds``);
  3. the dataset's offline source (see ``offline.py``), written once to array_record in the
     cache.
``image_folder`` reads a folder of image files by index (``image_folder.py``); ``synthetic`` is
drawn in memory.
"""

import json
import os
import re
import urllib.parse

import numpy as np
from absl import logging

from gan_jax.data import records
from gan_jax.data.records import RecordSource
from gan_jax.data.specs import DATASETS, DatasetSpec, DatasetUnavailableError
from gan_jax.data.source import ArraySource, Source
from gan_jax.utils import fetch, once
from gan_jax.utils.registry import check_choice

SOURCES = ("auto", "tfds", "offline")
STORE_VERSION = "1.0.0"


def _data_source(name, split, data_dir, spec, description) -> RecordSource:
  folder = records.find(data_dir, name)
  if folder is None:
    raise DatasetUnavailableError(f"no prepared array_record dataset {name!r} in {data_dir}")
  return RecordSource(folder, split, spec, description)


def _tfds_dir(tfds_data_dir: str) -> str:
  """TFDS's data dir (its default when the config gives none), without importing TFDS."""
  return os.path.expanduser(tfds_data_dir or os.environ.get("TFDS_DATA_DIR")
                            or "~/tensorflow_datasets")


def _tfds_on_disk(spec: DatasetSpec, split: str, tfds_data_dir: str,
                  cache_dir: str) -> Source | None:
  """The split of a TFDS dataset prepared earlier, found on disk without TFDS or TensorFlow:
  its own array_record files, or their array_record copy in the cache; else None. (The
  offline store needs no lookup: ``_offline`` reads it from disk once written.)"""
  tfds_dir = _tfds_dir(tfds_data_dir)
  folder = records.find(tfds_dir, spec.tfds_name)
  if folder is not None:
    return RecordSource(folder, split, spec,
                        f"TFDS {spec.tfds_name}/{os.path.basename(folder)} ({tfds_dir})")
  store_dir, prefix = os.path.join(cache_dir, "tfds"), _store_name(spec.tfds_name) + "_"
  versions = {d[len(prefix):].replace("_", "."): d
              for d in (os.listdir(store_dir) if os.path.isdir(store_dir) else [])
              if re.fullmatch(re.escape(prefix) + r"\d+_\d+_\d+", d) and _stored(d, store_dir)}
  if not versions:
    return None
  version = max(versions, key=records.version_key)
  return _data_source(versions[version], split, store_dir, spec,
                      f"TFDS {spec.tfds_name}/{version} ({tfds_dir}), as array_record in the cache")


def prepared(name: str, tfds_data_dir: str = "", cache_dir: str = "") -> bool:
  """Whether TFDS dataset ``name`` is prepared on disk (in TFDS's data dir as array_record, or
  its array_record copy in the cache), found without TFDS or TensorFlow."""
  spec = DATASETS.get(name)
  if not spec.tfds_name:
    return False
  if records.find(_tfds_dir(tfds_data_dir), spec.tfds_name) is not None:
    return True
  store_dir = os.path.join(cache_dir or fetch.default_cache_dir(), "tfds")
  prefix = _store_name(spec.tfds_name) + "_"
  return os.path.isdir(store_dir) and any(
      re.fullmatch(re.escape(prefix) + r"\d+_\d+_\d+", d) and _stored(d, store_dir)
      for d in os.listdir(store_dir))


def _tensorflow(what: str):
  """TensorFlow, for preparing data only, kept off the accelerators; where it or TFDS is not
  installed, one line saying what to install."""
  try:
    import tensorflow as tf
    import tensorflow_datasets  # noqa: F401
  except ImportError as e:
    raise DatasetUnavailableError(
        f"Preparing {what} needs TensorFlow and TensorFlow Datasets, and {e.name} is not "
        "installed: pip install -e \".[prepare]\" (tensorflow-cpu and tensorflow-datasets), or "
        "only tensorflow-datasets where TensorFlow is installed; or prepare it on another "
        "machine and copy the cache folder here (docs/data.md).") from None
  try:
    tf.config.set_visible_devices([], "GPU")
  except RuntimeError:  # already initialised
    pass
  return tf


def _features(spec: DatasetSpec, shape):
  import tensorflow_datasets as tfds
  feats = {spec.image_key: tfds.features.Image(shape=shape)}
  if spec.label_kind == "class":
    feats["label"] = tfds.features.ClassLabel(num_classes=spec.num_classes)
  elif spec.label_kind == "multi_hot":
    feats["label"] = tfds.features.Tensor(shape=(spec.num_classes,), dtype=np.float32)
  return tfds.features.FeaturesDict(feats)


def _store(name: str, data_dir: str, features, split_datasets: dict,
           description: str = "") -> None:
  """Writes ``split_datasets`` ({split: tf.data.Dataset}) as the array_record TFDS dataset
  ``name`` in ``data_dir``, in the given order (no shuffling: index i is example i)."""
  import tensorflow_datasets as tfds
  logging.info("Writing %s (%s) as an array_record TFDS dataset in %s (once)", name,
               ", ".join(split_datasets), data_dir)
  tfds.disable_progress_bar()  # the terminal shows gan_jax's own lines
  tfds.dataset_builders.store_as_tfds_dataset(
      name=name, version=STORE_VERSION, features=features, split_datasets=split_datasets,
      data_dir=data_dir, file_format="array_record", disable_shuffling=True,
      description=description or None)


def _stored(name: str, data_dir: str) -> bool:
  return os.path.exists(os.path.join(data_dir, name, STORE_VERSION, "dataset_info.json"))


def _store_name(base: str) -> str:
  return "gan_jax_" + "".join(c if c.isalnum() else "_" for c in base.lower())


def _from_prepared_tfds(builder, spec, split, cache_dir) -> RecordSource:
  desc = f"TFDS {builder.info.full_name} ({builder.data_dir_root})"
  if str(builder.info.file_format or "").lower().endswith("array_record"):
    return RecordSource(builder.data_dir, split, spec, desc)
  name = _store_name(f"{builder.info.full_name}")
  store_dir = os.path.join(cache_dir, "tfds")

  def copy():
    logging.info("%s is stored as %s: copying it once to array_record for reads by index",
                 builder.info.full_name, builder.info.file_format)
    splits = {s: builder.as_dataset(split=s, shuffle_files=False) for s in builder.info.splits}
    _store(name, store_dir, builder.info.features, splits)
  once.once(lambda: _stored(name, store_dir), copy, once.lock_path(cache_dir, f"dataset-{name}"),
            f"copying {builder.info.full_name} to array_record")
  return _data_source(name, split, store_dir, spec, desc + ", as array_record in the cache")


def _host_port(url: str) -> tuple[str, int]:
  u = urllib.parse.urlparse(url)
  return u.hostname or "", u.port or (443 if u.scheme == "https" else 80)


def _tfds_prepared_somehow(spec, tfds_data_dir) -> bool:
  """Whether TFDS's data dir holds a prepared version of the dataset in any file format."""
  root = os.path.join(_tfds_dir(tfds_data_dir), *spec.tfds_name.split("/"))
  return os.path.isdir(root) and any(os.path.exists(os.path.join(root, v, records.INFO))
                                     for v in os.listdir(root))


def _try_tfds(spec, split, tfds_data_dir, cache_dir) -> tuple[Source | None, str]:
  """(the split, "") from TFDS, or (None, why not). TFDS (and TensorFlow) are imported only
  to prepare: a local builder's first run, a copy of a tfrecord dataset, a download whose host
  answers; an unreachable host is found without them."""
  if not spec.local_builder and not _tfds_prepared_somehow(spec, tfds_data_dir):
    host, port = _host_port(spec.download_url or "")
    if not host or not fetch.host_reachable(host, port):
      why = (f"TFDS {spec.tfds_name!r} is not prepared in {_tfds_dir(tfds_data_dir)}"
             + (f" and its download host {host}:{port} cannot be reached" if host else ""))
      return None, why
  _tensorflow(spec.tfds_name)
  import tensorflow_datasets as tfds
  if spec.local_builder:  # drawn here: prepared on first use, no network involved
    import importlib
    importlib.import_module(spec.local_builder)  # registers the builder
    # prepared as TFDS's default (tfrecord), so ``tfds.load`` reads it as any TFDS dataset;
    # gan_jax reads its array_record copy by index
    def local():
      return tfds.builder(spec.tfds_name, data_dir=tfds_data_dir or None, try_gcs=False)

    def prepare():
      builder = local()
      logging.info("Preparing TFDS %s in %s (once, no download)", spec.tfds_name,
                   builder.data_dir)
      tfds.disable_progress_bar()
      builder.download_and_prepare()
    once.once(lambda: local().is_prepared(), prepare,
              once.lock_path(cache_dir, f"tfds-{spec.tfds_name}"), f"preparing {spec.tfds_name}")
    return _from_prepared_tfds(local(), spec, split, cache_dir), ""
  builder = tfds.builder(spec.tfds_name, data_dir=tfds_data_dir or None, try_gcs=False)
  if builder.is_prepared():
    return _from_prepared_tfds(builder, spec, split, cache_dir), ""
  def downloaded():
    return tfds.builder(spec.tfds_name, data_dir=tfds_data_dir or None, try_gcs=False,
                        file_format="array_record")

  def download():
    logging.info("Downloading and preparing TFDS %s", spec.tfds_name)
    downloaded().download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))
  try:
    once.once(lambda: downloaded().is_prepared(), download,
              once.lock_path(cache_dir, f"tfds-{spec.tfds_name}"), f"downloading {spec.tfds_name}")
    return _from_prepared_tfds(downloaded(), spec, split, cache_dir), ""
  except Exception as e:  # any download or preparation failure: fall back, saying why
    return None, (f"downloading TFDS {spec.tfds_name!r} failed "
                  f"({type(e).__name__}: {str(e)[:200]})")


def _offline(name: str, spec: DatasetSpec, split: str, cache_dir: str) -> RecordSource:
  store_name, store_dir = _store_name(f"{name}_offline"), os.path.join(cache_dir, "tfds")

  def prepare():
    tf = _tensorflow(name)
    arrays = {s: spec.offline(s, cache_dir) for s in ("train", "test")}  # fetched once
    _store(store_name, store_dir, _features(spec, arrays["train"].shape),
           {s: tf.data.Dataset.from_tensor_slices({spec.image_key: a.images, "label": a.labels})
            for s, a in arrays.items()}, description=arrays["train"].description)
  once.once(lambda: _stored(store_name, store_dir), prepare,
            once.lock_path(cache_dir, f"dataset-{store_name}"), f"preparing {name}")
  folder = records.find(store_dir, store_name)
  with open(os.path.join(folder, records.INFO)) as f:
    description = json.load(f).get("description", name)
  return RecordSource(folder, split, spec, description + ", as array_record in the cache")


def load_split(name: str, split: str, *, source: str = "auto", tfds_data_dir: str = "",
               cache_dir: str = "", **options) -> Source:
  """``split`` of dataset ``name``, read by index (see the module doc). ``options`` are the
  data block's fields a dataset that reads itself takes (``synthetic_size``, ``folder``,
  ``folder_channels``, ``skip_unreadable``)."""
  check_choice("data.source", source, SOURCES)
  spec = DATASETS.get(name)
  if spec.load is not None:
    return spec.load(split, spec, **options)
  cache_dir = cache_dir or fetch.default_cache_dir()
  if source in ("auto", "tfds") and spec.tfds_name:
    prepared = _tfds_on_disk(spec, split, tfds_data_dir, cache_dir)
    if prepared is not None:
      return prepared
  why = ""  # nothing prepared yet: TFDS (and TensorFlow) prepare it, once
  if source in ("auto", "tfds") and spec.tfds_name:
    loaded, why = _try_tfds(spec, split, tfds_data_dir, cache_dir)
    if loaded is not None:
      return loaded
    if source == "tfds" or spec.offline is None:
      raise DatasetUnavailableError(
          f"{why}. " + (spec.manual or
                        "Prepare it on a machine with network access and copy the data dir "
                        "(--config.data.tfds_data_dir)")
          + ("" if spec.offline is None else ", or use --config.data.source=offline")
          + ("" if spec.offline else f" (no offline source exists for {name!r})") + ".")
    logging.warning("%s: using the offline source.", why)
  if spec.offline is None:
    raise DatasetUnavailableError(f"{name!r} has no offline source; prepare TFDS "
                                  f"{spec.tfds_name!r} first.")
  return _offline(name, spec, split, cache_dir)


def subset_indices(n: int, count: int, seed: int) -> np.ndarray:
  """``count`` distinct indices of ``range(n)`` drawn with ``seed``, in increasing order
  (all of them when ``count`` <= 0 or >= n)."""
  if count <= 0 or count >= n:
    return np.arange(n)
  return np.sort(np.random.default_rng(seed).choice(n, count, replace=False))


__all__ = ["ArraySource", "RecordSource", "SOURCES", "load_split", "subset_indices"]
