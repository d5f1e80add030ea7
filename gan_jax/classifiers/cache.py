"""The classifier cache: one orbax checkpoint per (dataset, preprocessing, recipe, data) in
``<cache>/classifiers/<dataset>-<hash>/``, trained on first use, with ``classifier.json``
(recipe and held-out score) beside it."""

import dataclasses
import hashlib
import json
import os
import time
import zlib

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from gan_jax.classifiers import fit as classifier_fit
from gan_jax.classifiers.net import RECIPES, Classifier, Net, Recipe
from gan_jax.utils import once
from gan_jax.utils.errors import GanJaxError

FORMAT_VERSION = 4


def _data_fingerprint(train, test) -> str:
  images, _ = train.read(np.arange(min(64, len(train))))
  return f"{len(train)}/{len(test)}/{zlib.crc32(np.ascontiguousarray(images).tobytes()):08x}"


def _key(dataset, image_size, resize, crop, recipe, fingerprint, fit="crop") -> str:
  key = {"v": FORMAT_VERSION, "dataset": dataset, "image_size": image_size,
         "resize": resize, "crop": crop, "recipe": dataclasses.asdict(recipe),
         "data": fingerprint}
  if fit != "crop":  # the judges cached before data.fit existed keep their keys
    key["fit"] = fit
  blob = json.dumps(key, sort_keys=True)
  return hashlib.sha256(blob.encode()).hexdigest()[:16]


def get(dataset: str, *, image_size: int, resize: str, crop: int = 0, cache_dir: str,
        load_split, num_classes: int, recipe: Recipe | None = None, threads: int = 2,
        train: bool = True, fit: str = "crop",
        splits: tuple[str, str] = ("train", "test")) -> Classifier | None:
  """The classifier of ``dataset`` at this preprocessing, trained now if not cached (with
  ``train=False``: None if not cached). ``load_split(split)`` gives a split of the dataset
  (a ``Source``)."""
  recipe = recipe or RECIPES.get(dataset, Recipe())
  train_src, test_src = load_split(splits[0]), load_split(splits[1])
  key = _key(dataset, image_size, resize, crop, recipe, _data_fingerprint(train_src, test_src),
             fit)
  path = os.path.join(os.path.abspath(cache_dir), "classifiers", f"{dataset}-{key}")
  net = Net(num_classes, recipe.widths)
  info_path = os.path.join(path, "classifier.json")
  if not os.path.exists(info_path) and not train:
    return None
  if not os.path.exists(info_path):
    if jax.process_index() == 0:
      def train_once():
        logging.info("Training the %s classifier (%d steps, once; cached in %s)", dataset,
                     recipe.steps, path)
        t0 = time.time()
        variables, score = classifier_fit.train_classifier(train_src, test_src, num_classes,
                                                     image_size, resize, crop, recipe, threads,
                                                     fit)
        info = {"dataset": dataset, "image_size": image_size, "resize": resize, "crop": crop,
                "fit": fit,
                "recipe": dataclasses.asdict(recipe), "num_classes": num_classes,
                "label_kind": "multi_hot" if test_src.label_shape else "class",
                "test_score": score, "test_count": len(test_src),
                "score": "top-k score" if test_src.label_shape else "top-1 accuracy",
                "train_seconds": round(time.time() - t0, 1), "path": path}
        _save(path, variables, info)
        logging.info("The %s classifier scores %.4f on the %d held-out test images", dataset,
                     score, len(test_src))
      # runs that start together (a sweep, an array) train it once: the others wait for it
      once.once(lambda: os.path.exists(info_path), train_once, path + ".lock",
                f"training the {dataset} classifier")
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils
      multihost_utils.sync_global_devices(f"classifier {key}")
  return _load(path, net)


def _save(path: str, variables, info: dict):
  import orbax.checkpoint as ocp
  tmp = f"{path}.tmp{os.getpid()}"
  if os.path.exists(tmp):  # left by a killed process whose pid this one reuses
    import shutil
    shutil.rmtree(tmp)
  ckpt = ocp.StandardCheckpointer()
  ckpt.save(os.path.join(tmp, "variables"), jax.device_get(variables))
  ckpt.wait_until_finished()
  with open(os.path.join(tmp, "classifier.json"), "w") as f:
    json.dump(info, f, indent=2)
  once.publish(tmp, path)  # a killed training never leaves half a classifier


def _load(path: str, net: Net) -> Classifier:
  import orbax.checkpoint as ocp
  with open(os.path.join(path, "classifier.json")) as f:
    info = json.load(f)
  info["path"] = path
  try:
    variables = ocp.StandardCheckpointer().restore(os.path.join(path, "variables"))
  except Exception as e:  # a damaged cache: say where it is and what to do
    raise GanJaxError(f"The cached classifier in {path} cannot be read ({type(e).__name__}: "
                      f"{str(e)[:160]}); delete that folder to train it again.") from e
  variables = jax.tree.map(jnp.asarray, variables)
  return Classifier(net, variables, info)
