"""Anime faces with hair- and eye-colour tags, as the conditional-BEGAN report had them
(``data.name = 'anime_faces'``, ``data.folder = DIR``):

  DIR/tags_clean.csv    one row per image: ``<id>,<tag>:<count><TAB><tag>:<count>...``
  DIR/faces/<id>.jpg    the images (96x96 RGB)
  DIR/testing_tags.txt  (optional) the test descriptions, ``<id>,<colour> hair <colour> eyes``

The condition is the image's hair colour and eye colour, a multi-hot vector over the 12 hair
colours then the 11 eye colours below (two labels on). Only images tagged with exactly one
hair colour and exactly one eye colour are kept (the usual reading of these tags: the others
name no colour or several); the log says how many. The test descriptions are the condition
list ``test`` of ``evals.conditional_score`` (a judge of the two attributes, trained on the
kept images, scores whether a sample shows the asked-for hair and eyes). Splits as i-CLEVR's:
``train`` every kept image, ``test`` a fixed tenth of them (references, the judge's held-out
images), ``judge_train`` the rest.

A row or description that does not parse, a colour outside the lists and an image the tag
file names that ``faces/`` lacks are each one line naming the file and line.
"""

import dataclasses
import functools
import os

import numpy as np
from absl import logging

from gan_jax.data import iclevr
from gan_jax.data.image_folder import ListedSource, released_folder
from gan_jax.data.specs import DATASETS, DatasetSpec, DatasetUnavailableError
from gan_jax.utils.errors import ConfigError

TAGS = "tags_clean.csv"
FACES = "faces"
TESTING = "testing_tags.txt"
HAIR = ("orange", "white", "aqua", "gray", "green", "red", "purple", "pink", "blue", "black",
        "brown", "blonde")
EYES = ("gray", "black", "orange", "pink", "yellow", "aqua", "purple", "green", "brown", "red",
        "blue")
CLASS_NAMES = tuple(f"{c} hair" for c in HAIR) + tuple(f"{c} eyes" for c in EYES)


def _folder(cfg_or_folder) -> str:
  return released_folder(cfg_or_folder, "anime_faces", f"the folder with {TAGS} and {FACES}/")


def label_of(hair: str, eyes: str) -> np.ndarray:
  y = np.zeros(len(CLASS_NAMES), np.float32)
  y[HAIR.index(hair)] = y[len(HAIR) + EYES.index(eyes)] = 1.0
  return y


@functools.lru_cache(maxsize=4)
def catalogue(folder: str) -> tuple[tuple[str, ...], np.ndarray]:
  """The kept images (``faces/<id>.jpg``, by id) and their labels."""
  path = os.path.join(folder, TAGS)
  if not os.path.exists(path):
    raise DatasetUnavailableError(
        f"{path} is missing: an anime-faces folder holds {TAGS} and {FACES}/; set "
        "--config.data.folder to it.")
  kept, labels, rows = [], [], 0
  with open(path, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
      if not line.strip():
        continue
      rows += 1
      ident, sep, rest = line.rstrip("\n").partition(",")
      if not sep or not ident.strip():
        raise DatasetUnavailableError(f"{path}, line {n}: {line.strip()[:80]!r} is not "
                                      "'<id>,<tag>:<count><TAB>...'.")
      hair, eyes = set(), set()
      for item in filter(None, (t.strip() for t in rest.split("\t"))):
        tag, colon, count = item.rpartition(":")
        if not colon or not count.strip().isdigit():
          raise DatasetUnavailableError(f"{path}, line {n}: {item!r} is not '<tag>:<count>'.")
        words = tag.split()
        if len(words) == 2 and words[1] == "hair" and words[0] in HAIR:
          hair.add(words[0])
        elif len(words) == 2 and words[1] == "eyes" and words[0] in EYES:
          eyes.add(words[0])
      if len(hair) == 1 and len(eyes) == 1:
        kept.append(f"{ident.strip()}.jpg")
        labels.append(label_of(hair.pop(), eyes.pop()))
  if not kept:
    raise DatasetUnavailableError(f"{path}: no row tags exactly one hair colour and one eye "
                                  "colour.")
  faces = os.path.join(folder, FACES)
  present = set(os.listdir(faces)) if os.path.isdir(faces) else set()
  missing = [f for f in kept if f not in present]
  if missing:
    raise DatasetUnavailableError(
        f"{path} tags {len(missing)} image(s) that {faces}/ does not hold, e.g. {missing[0]}.")
  order = np.argsort(np.asarray([int(k[:-4]) if k[:-4].isdigit() else 0 for k in kept]),
                     kind="stable")
  logging.info("Anime faces %s: %d of %d tagged images have one hair and one eye colour.",
               folder, len(kept), rows)
  return tuple(kept[i] for i in order), np.stack(labels)[order]


def condition_list(folder: str, name: str) -> np.ndarray:
  """``test``: the descriptions of ``testing_tags.txt`` as conditions."""
  path = os.path.join(folder, TESTING)
  if name != "test":
    raise ConfigError(f"the anime faces have one condition list, 'test' ({TESTING}), not "
                      f"{name!r}.")
  if not os.path.exists(path):
    raise ConfigError(f"{path} is missing: the test descriptions '<id>,<colour> hair <colour> "
                      "eyes' that evals.conditional_score asks for.")
  out = []
  with open(path, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
      if not line.strip():
        continue
      words = line.strip().partition(",")[2].split()
      if (len(words) != 4 or words[1] != "hair" or words[3] != "eyes"
              or words[0] not in HAIR or words[2] not in EYES):
        raise DatasetUnavailableError(
            f"{path}, line {n}: {line.strip()!r} is not '<id>,<colour> hair <colour> eyes' with "
            f"hair in {list(HAIR)} and eyes in {list(EYES)}.")
      out.append(label_of(words[0], words[2]))
  return np.stack(out)


def source(folder: str, split: str) -> ListedSource:
  files, labels = catalogue(folder)
  idx = iclevr.split_indices(len(files), split)
  return ListedSource(os.path.join(folder, FACES), [files[i] for i in idx], labels[idx],
                      f"anime faces {folder} ({split}: {len(idx)} of {len(files)} kept images)")


def resolve(data_cfg) -> DatasetSpec:
  folder = _folder(data_cfg)
  return dataclasses.replace(DATASETS.get("anime_faces"),
                             condition_lists=functools.partial(condition_list, folder),
                             resolve=None)


DATASETS.register("anime_faces", DatasetSpec(
    about='the anime faces with hair and eye colour tags of the conditional-BEGAN report (a folder)',
    channels=3, native_size=96, num_classes=len(CLASS_NAMES), label_kind="multi_hot",
    label_key=None, class_names=CLASS_NAMES, resolve=resolve,
    load=lambda split, spec, folder="", **_: source(_folder(folder), split),
    judge_splits=("judge_train", "test")))
