"""i-CLEVR as released with the conditional-DCGAN course (``data.name = 'iclevr'``,
``data.folder = DIR``):

  DIR/objects.json     {"gray cube": 0, "red cube": 1, ...}: the 24 object names and their
                       indices, which are the label order (the course's evaluator's order)
  DIR/train.json       {"CLEVR_train_001032_0.png": ["yellow sphere"], ...}: each training
                       image and the objects it holds
  DIR/test.json        [["gray cube"], ["red cube", "blue cylinder"], ...]: the evaluation
  DIR/new_test.json    conditions (``evals.conditional_score.lists``: test, new_test)
  DIR/images/          the training images, 320x240 RGBA PNG (read as RGB)

Labels are multi-hot vectors over objects.json's order. Splits: ``train`` is every image of
train.json (what the GANs train on, as the report); ``test`` is a fixed tenth of them
(seeded, ``HELD_OUT_SEED``): the reference images of FID-like metrics and the judge's held-out
images; the judge trains on ``judge_train``, the other nine tenths, so its held-out score is
held out. The frames are 320x240 with objects up to their sides: train with
``--config.data.fit=squash`` (the course's loaders) or ``pad``, not the default centre crop.

Everything is checked when the folder is first read, each problem one line naming the file:
a missing file, an image train.json names that ``images/`` lacks, an object name that
objects.json does not hold.
"""

import dataclasses
import functools
import json
import os

import numpy as np

from gan_jax.data.image_folder import ListedSource, released_folder
from gan_jax.data.specs import DATASETS, DatasetSpec, DatasetUnavailableError
from gan_jax.utils.errors import ConfigError

FILES = ("objects.json", "train.json", "test.json", "new_test.json")
IMAGES = "images"
CONDITION_LISTS = ("test", "new_test")
HELD_OUT = 0.1
HELD_OUT_SEED = 0
SPLITS = ("train", "test", "judge_train")


def _read_json(folder: str, name: str):
  path = os.path.join(folder, name)
  if not os.path.exists(path):
    raise DatasetUnavailableError(
        f"{path} is missing: an i-CLEVR folder holds {', '.join(FILES)} and {IMAGES}/ (the "
        "course's release); set --config.data.folder to that folder.")
  try:
    with open(path) as f:
      return json.load(f)
  except (OSError, ValueError) as e:
    raise DatasetUnavailableError(f"cannot read {path}: {e}.") from None


@functools.lru_cache(maxsize=8)
def objects(folder: str) -> tuple[str, ...]:
  """The object names in label order (objects.json's indices)."""
  table = _read_json(folder, "objects.json")
  path = os.path.join(folder, "objects.json")
  if not isinstance(table, dict) or not table:
    raise DatasetUnavailableError(f"{path} must map each object name to its index.")
  indices = sorted(table.values()) if all(isinstance(v, int) for v in table.values()) else None
  if indices != list(range(len(table))):
    raise DatasetUnavailableError(
        f"{path}: the indices must be 0..{len(table) - 1}, each once; got {sorted(table.values())}.")
  return tuple(sorted(table, key=table.get))


def encode(folder: str, conditions, where: str) -> np.ndarray:
  """Lists of object names -> multi-hot vectors over objects.json's order."""
  names = objects(folder)
  pos = {n: i for i, n in enumerate(names)}
  out = np.zeros((len(conditions), len(names)), np.float32)
  for i, cond in enumerate(conditions):
    if not isinstance(cond, list):
      raise DatasetUnavailableError(f"{where}: entry {i} must be a list of object names.")
    for n in cond:
      if n not in pos:
        raise DatasetUnavailableError(
            f"{where}: entry {i} names {n!r}, which objects.json does not hold "
            f"(it holds {len(names)} objects, e.g. {names[0]!r}).")
      out[i, pos[n]] = 1.0
  return out


def condition_list(folder: str, name: str) -> np.ndarray:
  """``test`` | ``new_test`` as multi-hot vectors."""
  if name not in CONDITION_LISTS:
    raise ConfigError(f"unknown i-CLEVR condition list {name!r}; choose one of "
                      f"{list(CONDITION_LISTS)}.")
  return encode(folder, _read_json(folder, f"{name}.json"), os.path.join(folder, f"{name}.json"))


@functools.lru_cache(maxsize=8)
def _catalogue(folder: str) -> tuple[tuple[str, ...], np.ndarray]:
  """Every training image (sorted by name) and its labels, checked against ``images/``."""
  table = _read_json(folder, "train.json")
  where = os.path.join(folder, "train.json")
  if not isinstance(table, dict) or not table:
    raise DatasetUnavailableError(f"{where} must map each image file to its objects.")
  files = tuple(sorted(table))
  labels = encode(folder, [table[f] for f in files], where)
  images = os.path.join(folder, IMAGES)
  if not os.path.isdir(images):
    raise DatasetUnavailableError(f"{images}/ is missing: the training images of {where}.")
  present = set(os.listdir(images))
  missing = [f for f in files if f not in present]
  if missing:
    raise DatasetUnavailableError(
        f"{where} names {len(missing)} image(s) that {images}/ does not hold, e.g. "
        f"{missing[0]}; restore them or remove their entries.")
  return files, labels


def split_indices(n: int, split: str) -> np.ndarray:
  """The images of ``split`` among ``n`` (see the module docstring)."""
  if split not in SPLITS:
    raise ConfigError(f"i-CLEVR has the splits {list(SPLITS)}, not {split!r}.")
  if split == "train":
    return np.arange(n)
  held = np.sort(np.random.default_rng(HELD_OUT_SEED).choice(
      n, max(1, int(round(n * HELD_OUT))), replace=False))
  return held if split == "test" else np.setdiff1d(np.arange(n), held)


def source(folder: str, split: str) -> ListedSource:
  """One split of an i-CLEVR folder, each image decoded (RGBA -> RGB) when read."""
  files, labels = _catalogue(folder)
  idx = split_indices(len(files), split)
  return ListedSource(os.path.join(folder, IMAGES), [files[i] for i in idx], labels[idx],
                      f"i-CLEVR {folder} ({split}: {len(idx)} of {len(files)} images, "
                      f"{labels.shape[1]} objects)")


def _folder(data_cfg_or_folder) -> str:
  return released_folder(data_cfg_or_folder, "iclevr",
                         f"the i-CLEVR folder: {', '.join(FILES)}, {IMAGES}/")


def resolve(data_cfg) -> DatasetSpec:
  """The spec of the folder: its object names, conditions and judge splits."""
  folder = _folder(data_cfg)
  names = objects(folder)
  return dataclasses.replace(DATASETS.get("iclevr"), num_classes=len(names), class_names=names,
                             condition_lists=functools.partial(condition_list, folder),
                             resolve=None)


def _load(split: str, spec, *, folder: str = "", **_) -> ListedSource:
  return source(_folder(folder), split)


DATASETS.register("iclevr", DatasetSpec(
    about="i-CLEVR, the course's released folder: images and multi-hot object conditions",
    channels=3, native_size=None, num_classes=24, label_kind="multi_hot", label_key=None,
    load=_load, resolve=resolve, judge_splits=("judge_train", "test")))
