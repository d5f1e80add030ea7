"""The labels of an image folder (``image_folder.py``): the tags of a manifest
(``labels.json`` or ``labels.csv``), the order of a vocabulary file (``classes.txt``) and the
evaluation condition lists (``conditions/<list>.json``); the layout is ``image_folder.py``'s
docstring."""

import csv
import json
import os

import numpy as np
from absl import logging

from gan_jax.data.specs import DatasetUnavailableError
from gan_jax.utils.errors import ConfigError

LABELS_CSV = "labels.csv"
LABELS_JSON = "labels.json"
TAG_SEPARATOR = ";"
VOCABULARY = "classes.txt"
CONDITIONS = "conditions"


def vocabulary(folder: str) -> list[str] | None:
  """The label order of ``folder/classes.txt`` (one name per line), or None without one."""
  path = os.path.join(folder, VOCABULARY)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    names = [" ".join(line.split()) for line in f if line.strip()]
  if len(set(names)) != len(names):
    raise DatasetUnavailableError(f"{path} names a class twice; give each name one line.")
  return names


def ordered(found: set, folder: str, what: str) -> list[str]:
  """``found`` in the vocabulary file's order (sorted without one)."""
  vocab = vocabulary(os.path.dirname(folder.rstrip(os.sep)) if os.path.basename(
      folder.rstrip(os.sep)) in ("train", "test") else folder)
  if vocab is None:
    return sorted(found)
  unknown = sorted(found - set(vocab))
  if unknown:
    raise DatasetUnavailableError(
        f"{what} under {folder} include {unknown[0]!r}, which {VOCABULARY} does not name; add "
        "it to the vocabulary file.")
  return vocab


def _clean_tags(tags, where: str) -> list[str]:
  out = []
  for t in tags:
    if not isinstance(t, str):
      raise DatasetUnavailableError(f"{where}: tags must be strings, got {t!r}.")
    t = " ".join(t.split())
    if "," in t or TAG_SEPARATOR in t:
      raise DatasetUnavailableError(
          f"{where}: tag {t!r} holds ',' or ';', which separate labels on the command line; "
          "rename the tag.")
    if t:
      out.append(t)
  return out


def read_tags(root: str) -> dict[str, list[str]] | None:
  """Each image's tags from the split folder's manifest (see the module's docstring), keyed
  by normalised relative path; None when the folder has no manifest."""
  json_path, csv_path = os.path.join(root, LABELS_JSON), os.path.join(root, LABELS_CSV)
  if os.path.exists(json_path):
    try:
      with open(json_path) as f:
        manifest = json.load(f)
    except (OSError, ValueError) as e:
      raise DatasetUnavailableError(f"cannot read {json_path}: {e}.") from None
    if not isinstance(manifest, dict) or not all(isinstance(v, list) for v in manifest.values()):
      raise DatasetUnavailableError(
          f"{json_path} must be an object mapping image paths to lists of tags, e.g. "
          '{"001.png": ["blue hair", "red eyes"]}.')
    return {os.path.normpath(k): _clean_tags(v, f"{json_path} [{k}]")
            for k, v in manifest.items()}
  if not os.path.exists(csv_path):
    return None
  with open(csv_path, newline="") as f:
    rows = list(csv.DictReader(f))
  if not rows or not {"file", "tags"} <= set(rows[0]):
    raise DatasetUnavailableError(f"{csv_path} needs a header with the columns file,tags.")
  fields = [r["tags"] or "" for r in rows]
  if not any(TAG_SEPARATOR in t for t in fields) and any(" " in t.strip() for t in fields):
    logging.warning("%s: no row separates its tags with ';', so a field such as %r is one tag "
                    "(tags may hold spaces). Separate several tags with ';'.", csv_path,
                    next(t for t in fields if " " in t.strip()))
  return {os.path.normpath(r["file"]):
          _clean_tags(t.split(TAG_SEPARATOR), f"{csv_path} [{r['file']}]")
          for r, t in zip(rows, fields)}


def condition_list(folder: str, names: tuple[str, ...], name: str) -> np.ndarray:
  """``folder/conditions/<name>.json`` (lists of tag names) as multi-hot vectors."""
  path = os.path.join(folder, CONDITIONS, f"{name}.json")
  if not os.path.exists(path):
    have = sorted(f[:-5] for f in os.listdir(os.path.dirname(path)) if f.endswith(".json"))
    raise ConfigError(f"the condition list {name!r} would be {path}, which does not exist; "
                      f"this folder's lists: {have} (evals.<name>.lists).")
  try:
    with open(path) as f:
      conditions = json.load(f)
  except (OSError, ValueError) as e:
    raise DatasetUnavailableError(f"cannot read {path}: {e}.") from None
  pos = {t: i for i, t in enumerate(names)}
  out = np.zeros((len(conditions), len(names)), np.float32)
  for i, cond in enumerate(conditions):
    if not isinstance(cond, list):
      raise DatasetUnavailableError(f"{path}: entry {i} must be a list of tag names.")
    for t in _clean_tags(cond, f"{path} [{i}]"):
      if t not in pos:
        raise DatasetUnavailableError(f"{path}: entry {i} names {t!r}, which no image of the "
                                      "folder is tagged with.")
      out[i, pos[t]] = 1.0
  return out
