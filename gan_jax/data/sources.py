"""Resolving a dataset name to the images of a split, in seconds, never by waiting on a network
that is not there:

  1. TFDS, when the dataset is prepared in the TFDS data dir;
  2. a TFDS download, when ``source`` allows it and the dataset's own download host answers
     within 3 s; a download that fails for any reason falls back to step 3 (``auto``) with the
     reason logged, or is an error naming it (``tfds``);
  3. the dataset's offline source (see ``offline.py``).
"""

import urllib.parse

import numpy as np
from absl import logging

from gan_jax import fetch
from gan_jax.data.specs import DATASETS, DatasetUnavailableError, Split
from gan_jax.registry import check_choice

SOURCES = ("auto", "tfds", "offline")


def _tfds_load(builder, split) -> Split:
  import tensorflow_datasets as tfds
  arrays = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
  return Split(np.asarray(arrays["image"], np.uint8), np.asarray(arrays["label"], np.int32),
               f"TFDS {builder.info.full_name} ({builder.data_dir})")


def _host_port(url: str) -> tuple[str, int]:
  u = urllib.parse.urlparse(url)
  return u.hostname or "", u.port or (443 if u.scheme == "https" else 80)


def _try_tfds(spec, split, tfds_data_dir) -> tuple[Split | None, str]:
  """(the split, "") from TFDS, or (None, why not)."""
  import tensorflow_datasets as tfds
  builder = tfds.builder(spec.tfds_name, data_dir=tfds_data_dir or None, try_gcs=False)
  if builder.is_prepared():
    return _tfds_load(builder, split), ""
  host, port = _host_port(spec.download_url or "")
  if not host or not fetch.host_reachable(host, port):
    return None, (f"TFDS {spec.tfds_name!r} is not prepared in {builder.data_dir} and its "
                  f"download host {host}:{port} cannot be reached")
  logging.info("Downloading and preparing TFDS %s", spec.tfds_name)
  try:
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return _tfds_load(builder, split), ""
  except Exception as e:  # any download or preparation failure: fall back, saying why
    return None, (f"downloading TFDS {spec.tfds_name!r} failed "
                  f"({type(e).__name__}: {str(e)[:200]})")


def load_split(name: str, split: str, *, source: str = "auto", tfds_data_dir: str = "",
               cache_dir: str = "", synthetic_size: int = 2048) -> Split:
  """The images and labels of ``split`` of dataset ``name`` (see the module doc)."""
  spec = DATASETS.get(name)
  check_choice("data.source", source, SOURCES)
  if name == "synthetic":
    from gan_jax.data.synthetic import synthetic
    return synthetic(split, synthetic_size, channels=spec.channels)
  why = ""
  if source in ("auto", "tfds") and spec.tfds_name:
    loaded, why = _try_tfds(spec, split, tfds_data_dir)
    if loaded is not None:
      return loaded
    if source == "tfds":
      raise DatasetUnavailableError(
          f"{why}. Prepare it on a machine with network access and copy the data dir "
          f"(--config.data.tfds_data_dir), or use --config.data.source=offline"
          + ("" if spec.offline else f" (no offline source exists for {name!r})") + ".")
    logging.warning("%s: using the offline source.", why)
  if spec.offline is None:
    raise DatasetUnavailableError(
        f"{name!r} has no offline source" + (f" and {why}" if why else "")
        + f"; prepare TFDS {spec.tfds_name!r} first.")
  return spec.offline(split, cache_dir or fetch.default_cache_dir())


def subset_indices(n: int, count: int, seed: int) -> np.ndarray:
  """``count`` distinct indices of ``range(n)`` drawn with ``seed``, in increasing order
  (all of them when ``count`` <= 0 or >= n)."""
  if count <= 0 or count >= n:
    return np.arange(n)
  return np.sort(np.random.default_rng(seed).choice(n, count, replace=False))
