"""Any folder of PNG / JPEG images as a dataset (``data.name = 'image_folder'``).

Layout: ``root/**/*.png|jpg|jpeg`` (nested folders allowed). When ``root`` has ``train/``
and ``test/`` sub-folders they are the splits; otherwise every split is the whole folder
(FID against the training images, as the CelebA GAN papers report it).
Labels, in this order of precedence:

* tags (multi-hot over the sorted vocabulary of every tag), from a manifest in the split's
  folder: ``labels.json``, an object mapping each image's path (relative to that folder) to
  its list of tags (``{"a/001.png": ["blue hair", "red eyes"]}``), or ``labels.csv``, columns
  ``file,tags`` with the tags separated by semicolons (``001.png,blue hair;red eyes``). A tag
  may hold spaces; it may not hold ``,`` or ``;`` (``--labels`` separates with them).
  Every image needs an entry (an empty list or field: no tag);
* the names of the top-level sub-folders when every image lies under one of at least two of
  them (class indices in sorted order);
* none.

The label order (class indices, multi-hot positions) is the sorted names, or the order of a
vocabulary file ``classes.txt`` (one name per line) in the folder (``data.folder``), which
must name every class or tag the folder holds. Evaluation conditions for multi-hot models
(``evals.conditional_score.lists``) are the files ``conditions/<list>.json`` in the folder,
each a list of lists of tag names (``[["blue hair", "red eyes"], ...]``).

CelebA as released (``img_align_celeba/`` and ``list_eval_partition.txt``, lines
``000001.jpg 0`` with 0 / 1 / 2 = train / validation / test): the partition file's splits
(``train``, ``validation``, ``test``), no labels.

Only the sorted list of file names is held; each image is decoded when read (Pillow, in
the pipeline's decoding threads), converted to the configured channels (``L`` or ``RGB``). A file
that cannot be decoded is a ``UnreadableImageError`` naming it; with
``data.skip_unreadable`` every file is decoded once at start-up (in threads) and the
unreadable ones are left out, with their count and names logged.
"""

import concurrent.futures
import dataclasses
import functools
import os

import numpy as np
from absl import logging

from gan_jax.data.specs import DATASETS, DatasetSpec, DatasetUnavailableError
from gan_jax.data.folder_labels import (CONDITIONS, LABELS_CSV, LABELS_JSON, ordered,
                                       condition_list, read_tags)
from gan_jax.data.source import Source, UnreadableImageError
from gan_jax.utils.errors import ConfigError

EXTENSIONS = (".png", ".jpg", ".jpeg")
PARTITION = "list_eval_partition.txt"  # CelebA's
PARTITION_SPLITS = {"train": "0", "validation": "1", "test": "2"}


def decode(path: str, channels: int) -> np.ndarray:
  """uint8 (H, W, channels) of an image file, or an UnreadableImageError naming it."""
  from PIL import Image
  try:
    with Image.open(path) as im:
      im.load()
      arr = np.asarray(im.convert("L" if channels == 1 else "RGB"), np.uint8)
  except Exception as e:  # Pillow raises many kinds (OSError, SyntaxError, ValueError...)
    raise UnreadableImageError(
        f"cannot decode image {path} ({type(e).__name__}: {e}); replace or delete it, or set "
        "--config.data.skip_unreadable=True to leave unreadable files out.") from None
  return arr.reshape(arr.shape[0], arr.shape[1], channels)


def _image_files(root: str) -> list[str]:
  found = []
  for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
    dirnames.sort()
    found.extend(os.path.relpath(os.path.join(dirpath, f), root) for f in sorted(filenames)
                 if f.lower().endswith(EXTENSIONS))
  return sorted(found)


def split_root(root: str, split: str) -> str:
  if not os.path.isdir(root):
    raise DatasetUnavailableError(
        f"data.folder={root!r} is not a folder; set --config.data.folder to a folder of "
        "PNG/JPG images.")
  if all(os.path.isdir(os.path.join(root, s)) for s in ("train", "test")):
    return os.path.join(root, split)
  return root


def partition_files(root: str, split: str) -> list[str] | None:
  """The images of ``split`` by CelebA's ``list_eval_partition.txt`` in ``root`` (None
  without one), relative to ``root``."""
  path = os.path.join(root, PARTITION)
  if not os.path.exists(path):
    return None
  if split not in PARTITION_SPLITS:
    raise ConfigError(f"{path} gives the splits {list(PARTITION_SPLITS)}, not {split!r}.")
  rows = {}
  with open(path) as f:
    for n, line in enumerate(f, 1):
      parts = line.split()
      if not parts:
        continue
      if len(parts) != 2 or parts[1] not in PARTITION_SPLITS.values():
        raise DatasetUnavailableError(
            f"{path}, line {n}: {line.strip()!r} is not '<image> <0|1|2>'.")
      rows[parts[0]] = parts[1]
  by_name = {}
  for f in _image_files(root):
    by_name.setdefault(os.path.basename(f), f)
  missing = [name for name in rows if name not in by_name]
  if missing:
    raise DatasetUnavailableError(
        f"{path} names {len(missing)} image(s) that {root} does not hold, e.g. {missing[0]}.")
  return sorted(by_name[name] for name, s in rows.items() if s == PARTITION_SPLITS[split])


def scan(root: str, files: list[str] | None = None
         ) -> tuple[list[str], str, list[str], np.ndarray | None]:
  """``(files, label_kind, label_names, labels)`` of a split's folder (``files``: a list of
  the split's images, from a partition file; else every image under ``root``)."""
  if files is None:
    files = _image_files(root)
  if not files:
    raise DatasetUnavailableError(
        f"no PNG/JPG images under {root}; data.folder must hold images (nested folders allowed).")
  tags = read_tags(root)
  if tags is not None:
    present = {os.path.normpath(f) for f in files}
    missing = [f for f in files if os.path.normpath(f) not in tags]
    if missing:
      raise DatasetUnavailableError(
          f"{len(missing)} images under {root} have no entry in its tag manifest "
          f"({LABELS_JSON} or {LABELS_CSV}), e.g. {missing[0]}; give every image an entry "
          "(an empty list of tags is allowed).")
    absent = sorted(k for k in tags if k not in present)
    if absent:
      raise DatasetUnavailableError(
          f"the tag manifest of {root} names {len(absent)} image(s) the folder does not hold, "
          f"e.g. {absent[0]}; restore them or remove their entries.")
    vocab = ordered({t for ts in tags.values() for t in ts}, root, "the tags")
    if not vocab:
      raise DatasetUnavailableError(f"the tag manifest of {root} names no tag.")
    pos = {t: i for i, t in enumerate(vocab)}
    labels = np.zeros((len(files), len(vocab)), np.float32)
    for i, f in enumerate(files):
      labels[i, [pos[t] for t in tags[os.path.normpath(f)]]] = 1.0
    return files, "multi_hot", vocab, labels
  tops = [f.split(os.sep, 1)[0] for f in files]
  if all(os.sep in f for f in files) and len(set(tops)) >= 2:
    names = ordered(set(tops), root, "the class folders")
    pos = {t: i for i, t in enumerate(names)}
    return files, "class", names, np.asarray([pos[t] for t in tops], np.int32)
  return files, "none", [], None


class FolderSource(Source):
  """Images of a folder, decoded on read."""

  def __init__(self, root: str, channels: int, skip_unreadable: bool = False,
               workers: int = 8, files: list[str] | None = None):
    files, self.label_kind, self.label_names, labels = scan(root, files)
    self.root, self.channels = root, channels
    if skip_unreadable:
      files, labels = self._readable(files, labels, workers)
    self.files = files
    self.labels = labels
    self.label_shape = (len(self.label_names),) if self.label_kind == "multi_hot" else ()
    self.shape = None
    self.description = (f"image folder {root} ({len(files)} images"
                        + (f", {self.label_kind} labels: {len(self.label_names)}"
                           if self.label_kind != "none" else "") + ")")

  def _readable(self, files, labels, workers):
    def ok(f):
      try:
        decode(os.path.join(self.root, f), self.channels)
        return True
      except UnreadableImageError:
        return False
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
      good = list(pool.map(ok, files))
    bad = [f for f, g in zip(files, good) if not g]
    if bad:
      logging.warning("Leaving out %d unreadable images of %s: %s%s", len(bad), self.root,
                      ", ".join(bad[:10]), " ..." if len(bad) > 10 else "")
    keep = np.flatnonzero(good)
    if not len(keep):
      raise DatasetUnavailableError(f"no readable images under {self.root}.")
    return [files[i] for i in keep], (None if labels is None else labels[keep])

  def __len__(self):
    return len(self.files)

  def all_labels(self):
    return (np.zeros((len(self.files),) + self.label_shape, self.label_dtype)
            if self.labels is None else self.labels)

  def read_image(self, index):
    image = decode(os.path.join(self.root, self.files[index]), self.channels)
    label = (np.zeros(self.label_shape, self.label_dtype) if self.labels is None
             else self.labels[index])
    return image, label


def released_folder(cfg_or_folder, name: str, holds: str) -> str:
  """``data.folder`` (a data block, or the folder itself) of a dataset read from its released
  layout, as an absolute path; none given is one line saying what the folder holds."""
  folder = cfg_or_folder if isinstance(cfg_or_folder, str) else cfg_or_folder.folder
  if not folder:
    raise ConfigError(f"data.name={name!r} needs --config.data.folder=<{holds}>.")
  return os.path.abspath(folder)


class ListedSource(Source):
  """Images named by a list (relative to ``root``) with their labels, each decoded (as RGB or
  grey) when read: the released layouts whose labels come from a file of their own."""

  def __init__(self, root: str, files, labels: np.ndarray, description: str, channels: int = 3):
    self.root, self.files, self.labels = root, list(files), labels
    self.channels, self.shape = channels, None
    self.label_shape = labels.shape[1:]
    self.description = description

  def __len__(self):
    return len(self.files)

  def all_labels(self):
    return self.labels

  def read_image(self, index):
    return decode(os.path.join(self.root, self.files[index]), self.channels), self.labels[index]


def folder_spec(data_cfg) -> DatasetSpec:
  """The spec of ``data.folder``: its channels, the labels its layout gives, their names and
  (multi-hot) the condition lists of ``conditions/``."""
  if not data_cfg.folder:
    raise ConfigError("data.name='image_folder' needs --config.data.folder=<folder of images>.")
  folder = os.path.abspath(data_cfg.folder)
  _, kind, names, _ = scan(split_root(folder, "train"), partition_files(folder, "train"))
  lists = None
  if kind == "multi_hot" and os.path.isdir(os.path.join(folder, CONDITIONS)):
    lists = functools.partial(condition_list, folder, tuple(names))
  return dataclasses.replace(DATASETS.get("image_folder"), channels=data_cfg.folder_channels,
                             num_classes=len(names), label_kind=kind, label_key=None,
                             class_names=tuple(names), condition_lists=lists, resolve=None)


def _load(split: str, spec, *, folder: str = "", folder_channels: int = 3,
          skip_unreadable: bool = False, **_) -> FolderSource:
  if not folder:
    raise ConfigError("data.name='image_folder' needs --config.data.folder=<folder of images>.")
  return FolderSource(split_root(folder, split), folder_channels, skip_unreadable,
                      files=partition_files(folder, split))


DATASETS.register("image_folder", DatasetSpec(
    about='any folder of PNG / JPG images, optionally labelled by subfolder or a list file',
    channels=3, native_size=None, num_classes=0, label_kind="none", label_key=None,
    load=_load, resolve=folder_spec))
