"""Classifiers trained in the repo, the judges of conditional and unconditional samples.

One small CNN per (dataset, preprocessing): the digit classifier (MNIST), the Fashion-MNIST
classifier and the multi-label shapes classifier. Each sees images exactly as the GAN does
(``data.image_size``, ``data.resize``, ``data.crop``), so a generated image goes in as it
comes out. A classifier is trained once, on first use (an evaluator's ``prepare``) or ahead
of time with

  python -m gan_jax.classify --dataset=mnist [--image_size=32 --resize=pad]

and cached as an orbax checkpoint in ``<cache>/classifiers/<dataset>-<hash>/``, the hash
covering its recipe (``Recipe``), the preprocessing and the data (split sizes and a checksum
of the first training images); ``classifier.json`` beside it records the recipe and the
accuracy on the held-out ``test`` split: top-1 for classes, the i-CLEVR report's top-k
score for multi-hot labels.

Network (``Net``): per width w, two 3x3 convolutions with BN and ReLU, then 2x2 max pooling;
a linear layer from the flattened features to the class logits (small: it trains in minutes
on a CPU). Softmax cross-entropy for classes, sigmoid cross-entropy for multi-hot labels;
Adam with a cosine decay; random translations of up to ``translate`` px (2), and for the
shapes random horizontal flips (a mirror keeps every label: triangles point up either way).
"""

import dataclasses
import functools
import hashlib
import json
import math
import os
import time
import zlib

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import logging

from gan_jax.metrics.classification import topk_score
from gan_jax.utils.errors import ConfigError, GanJaxError

FORMAT_VERSION = 4


@dataclasses.dataclass(frozen=True)
class Recipe:
  """How a classifier is trained (part of its cache key)."""
  widths: tuple[int, ...] = (32, 64, 128)
  steps: int = 800
  batch_size: int = 128
  lr: float = 2e-3
  translate: int = 2      # random shifts of up to this many px (0 = none)
  flip: bool = False      # random horizontal flips (labels that a mirror keeps: shapes)
  seed: int = 0


def parse_widths(text: str) -> tuple[int, ...]:
  """``'16,32,64'`` -> (16, 32, 64): ``Recipe.widths`` as a config string or a flag gives it."""
  try:
    widths = tuple(int(w) for w in str(text).split(","))
  except ValueError:
    widths = ()
  if not widths or min(widths) < 1:
    raise ConfigError(f"classifier_widths must be positive integers separated by commas "
                      f"(e.g. '16,32,64'), got {text!r}.")
  return widths


RECIPES = {  # per dataset; others get Recipe()
    "mnist": Recipe(steps=600),
    "fashion_mnist": Recipe(steps=2000),
    "shapes": Recipe(steps=1000, batch_size=64, flip=True),
    "shapes_small": Recipe(steps=1000, batch_size=64, flip=True),
}


class Net(nn.Module):
  num_classes: int
  widths: tuple[int, ...] = (32, 64, 128)

  @nn.compact
  def __call__(self, x, train: bool = False):
    bn = functools.partial(nn.BatchNorm, use_running_average=not train, momentum=0.9)
    for w in self.widths:
      x = nn.relu(bn()(nn.Conv(w, (3, 3), padding=1)(x)))
      x = nn.relu(bn()(nn.Conv(w, (3, 3), padding=1)(x)))
      x = nn.max_pool(x, (2, 2), (2, 2), padding="SAME")
    features = x.reshape(x.shape[0], -1)
    self.sow("intermediates", "features", features)  # the classifier-feature FID's space
    return nn.Dense(self.num_classes)(features)


def _loss(logits, labels):
  if labels.ndim == 1:
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
  return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, labels))


def _translate(key, x, pad: int):
  """Each image shifted by a random (dy, dx) in [-pad, pad]^2, zero (black = -1) filled."""
  b, h, w, _ = x.shape
  xp = jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=-1.0)
  offs = jax.random.randint(key, (b, 2), 0, 2 * pad + 1)
  return jax.vmap(lambda im, o: jax.lax.dynamic_slice(im, (o[0], o[1], 0), (h, w, x.shape[-1])))(
      xp, offs)


@dataclasses.dataclass
class Classifier:
  """A trained classifier: ``logits(uint8 images)``; ``info`` is its classifier.json."""
  net: Net
  variables: dict
  info: dict
  batch_size: int = 256

  def __post_init__(self):
    self._apply = jax.jit(lambda v, x: self.net.apply(v, x, train=False))
    self._features = jax.jit(lambda v, x: self.net.apply(
        v, x, train=False, mutable=["intermediates"])[1]["intermediates"]["features"][0])

  @property
  def multi_label(self) -> bool:
    return self.info["label_kind"] == "multi_hot"

  def logits(self, images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W, C) images as the GAN sees them -> (N, K) float32 logits."""
    return self._batched(self._apply, images, self.info["num_classes"])

  def features(self, images: np.ndarray) -> np.ndarray:
    """uint8 images -> (N, F) float32: the flattened last convolutional features, the input
    of the classifier's linear layer."""
    h = w = self.info["image_size"]
    dim = self.net.widths[-1] * math.ceil(h / 2 ** len(self.net.widths)) * math.ceil(
        w / 2 ** len(self.net.widths))
    return self._batched(self._features, images, dim)

  def _batched(self, fn, images, dim):
    out = []
    for i in range(0, len(images), self.batch_size):
      x = np.asarray(images[i:i + self.batch_size], np.float32) / 127.5 - 1.0
      n = len(x)
      if n < self.batch_size:  # one compiled shape
        x = np.concatenate([x, np.zeros((self.batch_size - n,) + x.shape[1:], x.dtype)])
      out.append(np.asarray(fn(self.variables, x))[:n])
    return np.concatenate(out) if out else np.zeros((0, dim), np.float32)

  def protocol(self) -> dict:
    """What an evaluation records about the judge."""
    keys = ("dataset", "image_size", "resize", "crop", "recipe", "test_score", "test_count",
            "path")
    return {k: self.info[k] for k in keys if k in self.info}


def _data_fingerprint(train, test) -> str:
  images, _ = train.read(np.arange(min(64, len(train))))
  return f"{len(train)}/{len(test)}/{zlib.crc32(np.ascontiguousarray(images).tobytes()):08x}"


def _key(dataset, image_size, resize, crop, recipe, fingerprint) -> str:
  blob = json.dumps({"v": FORMAT_VERSION, "dataset": dataset, "image_size": image_size,
                     "resize": resize, "crop": crop, "recipe": dataclasses.asdict(recipe),
                     "data": fingerprint}, sort_keys=True)
  return hashlib.sha256(blob.encode()).hexdigest()[:16]


def train_classifier(train_src, test_src, num_classes: int, image_size: int, resize: str,
                     crop: int, recipe: Recipe, threads: int = 2):
  """Trains ``Net`` on ``train_src``; returns ``(variables, test score)``."""
  from gan_jax.data import pipeline
  net = Net(num_classes, recipe.widths)
  key = jax.random.PRNGKey(recipe.seed)
  channels = train_src.channels
  variables = net.init(key, jnp.zeros((1, image_size, image_size, channels)), train=False)
  tx = optax.adam(optax.cosine_decay_schedule(recipe.lr, recipe.steps))
  opt_state = tx.init(variables["params"])

  @jax.jit
  def step(variables, opt_state, x, y, i):
    if recipe.translate:
      x = _translate(jax.random.fold_in(key, i), x, recipe.translate)
    if recipe.flip:
      flip = jax.random.bernoulli(jax.random.fold_in(key, i + 1_000_000), 0.5, (x.shape[0],))
      x = jnp.where(flip[:, None, None, None], x[:, :, ::-1], x)

    def loss_fn(params):
      logits, upd = net.apply({"params": params, "batch_stats": variables["batch_stats"]}, x,
                              train=True, mutable=["batch_stats"])
      return _loss(logits, y), upd

    (loss, upd), grads = jax.value_and_grad(loss_fn, has_aux=True)(variables["params"])
    updates, opt_state = tx.update(grads, opt_state, variables["params"])
    params = optax.apply_updates(variables["params"], updates)
    return {"params": params, "batch_stats": upd["batch_stats"]}, opt_state, loss

  batches = pipeline.create_train_iterator(
      train_src, batch_size=recipe.batch_size, image_size=image_size, resize=resize,
      seed=recipe.seed, d_steps=1, start_step=0, num_steps=recipe.steps, crop=crop,
      threads=threads)
  t0 = time.time()
  for i, batch in enumerate(batches):
    variables, opt_state, loss = step(variables, opt_state, batch["image"][0],
                                      batch["label"][0], i)
    if (i + 1) % 100 == 0 or i + 1 == recipe.steps:
      logging.info("Classifier step %d/%d: loss %.4f (%.0fs)", i + 1, recipe.steps,
                   float(loss), time.time() - t0)
  clf = Classifier(net, variables, {"num_classes": num_classes, "label_kind": (
      "multi_hot" if test_src.label_shape else "class")})
  score = evaluate_on(clf, test_src, image_size, resize, crop, threads)
  return variables, score


def evaluate_on(clf: Classifier, source, image_size, resize, crop, threads=2) -> float:
  """The classifier's score (top-1, or the top-k score for multi-hot) on a whole split."""
  from gan_jax.data import pipeline
  idx = np.arange(len(source))
  images = pipeline.images_for_metrics(source, idx, image_size, resize, crop, threads)
  _, labels = source.read(idx) if source.shape else zip(*(source.read_image(i) for i in idx))
  return float(topk_score(clf.logits(images), np.asarray(labels)))


def get(dataset: str, *, image_size: int, resize: str, crop: int = 0, cache_dir: str,
        load_split, num_classes: int, recipe: Recipe | None = None, threads: int = 2
        ) -> Classifier:
  """The classifier of ``dataset`` at this preprocessing, trained now if not cached.
  ``load_split(split)`` gives a split of the dataset (a ``Source``)."""
  recipe = recipe or RECIPES.get(dataset, Recipe())
  train_src, test_src = load_split("train"), load_split("test")
  key = _key(dataset, image_size, resize, crop, recipe, _data_fingerprint(train_src, test_src))
  path = os.path.join(os.path.abspath(cache_dir), "classifiers", f"{dataset}-{key}")
  net = Net(num_classes, recipe.widths)
  info_path = os.path.join(path, "classifier.json")
  if not os.path.exists(info_path):
    if jax.process_index() == 0:
      logging.info("Training the %s classifier (%d steps, once; cached in %s)", dataset,
                   recipe.steps, path)
      t0 = time.time()
      variables, score = train_classifier(train_src, test_src, num_classes, image_size, resize,
                                          crop, recipe, threads)
      info = {"dataset": dataset, "image_size": image_size, "resize": resize, "crop": crop,
              "recipe": dataclasses.asdict(recipe), "num_classes": num_classes,
              "label_kind": "multi_hot" if test_src.label_shape else "class",
              "test_score": score, "test_count": len(test_src),
              "score": "top-k score" if test_src.label_shape else "top-1 accuracy",
              "train_seconds": round(time.time() - t0, 1), "path": path}
      _save(path, variables, info)
      logging.info("The %s classifier scores %.4f on the %d held-out test images", dataset,
                   score, len(test_src))
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils
      multihost_utils.sync_global_devices(f"classifier {key}")
  return _load(path, net)


def _save(path: str, variables, info: dict):
  import orbax.checkpoint as ocp
  tmp = f"{path}.tmp{os.getpid()}"
  ckpt = ocp.StandardCheckpointer()
  ckpt.save(os.path.join(tmp, "variables"), jax.device_get(variables))
  ckpt.wait_until_finished()
  with open(os.path.join(tmp, "classifier.json"), "w") as f:
    json.dump(info, f, indent=2)
  os.replace(tmp, path)  # a killed training never leaves half a classifier


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
