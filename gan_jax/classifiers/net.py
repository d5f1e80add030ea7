"""The judge classifiers' network, how each is trained (``Recipe``), and a trained one
(``Classifier``: logits and features of uint8 images, as the GAN produces them)."""

import dataclasses
import functools
import math

import flax.linen as nn
import jax
import numpy as np

from gan_jax.utils.errors import ConfigError


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
    # half widths: a quarter of the FLOPs (the 64x64 judge: ~10 CPU-minutes, not 40) at a
    # held-out top-k score within 0.005 of the full widths' (docs/conditional.md)
    "shapes": Recipe(widths=(16, 32, 64), steps=1000, batch_size=64, flip=True),
    "shapes_small": Recipe(widths=(16, 32, 64), steps=1000, batch_size=64, flip=True),
    "iclevr": Recipe(widths=(16, 32, 64), steps=2000, batch_size=64, flip=True),
    "anime_faces": Recipe(widths=(16, 32, 64), steps=2000, batch_size=64, flip=True),
}


def max_pool2(x):
  """2x2 max pooling, stride 2 ('SAME' padding for an odd side). Even sides pool by a reshape:
  the same maxima, and a gradient XLA:CPU computes 7x faster than max_pool's
  select-and-scatter (docs/speed.md), the same wherever the window's maximum is unique."""
  b, h, w, c = x.shape
  if h % 2 or w % 2:
    return nn.max_pool(x, (2, 2), (2, 2), padding="SAME")
  return x.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


class Net(nn.Module):
  num_classes: int
  widths: tuple[int, ...] = (32, 64, 128)

  @nn.compact
  def __call__(self, x, train: bool = False):
    bn = functools.partial(nn.BatchNorm, use_running_average=not train, momentum=0.9)
    for w in self.widths:
      x = nn.relu(bn()(nn.Conv(w, (3, 3), padding=1)(x)))
      x = nn.relu(bn()(nn.Conv(w, (3, 3), padding=1)(x)))
      x = max_pool2(x)
    features = x.reshape(x.shape[0], -1)
    self.sow("intermediates", "features", features)  # the classifier-feature FID's space
    return nn.Dense(self.num_classes)(features)


@dataclasses.dataclass
class Classifier:
  """A trained classifier: ``logits(uint8 images)``; ``info`` is its classifier.json."""
  net: Net
  variables: dict
  info: dict
  batch_size: int = 256
  present_above = 0.0  # a multi-hot judge sees an object where its logit is positive

  def __post_init__(self):
    self._apply = jax.jit(lambda v, x: self.net.apply(v, x, train=False))
    self._features = jax.jit(lambda v, x: self.net.apply(
        v, x, train=False, mutable=["intermediates"])[1]["intermediates"]["features"][0])

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
    keys = ("dataset", "image_size", "resize", "crop", "fit", "recipe", "test_score", "test_count",
            "path")
    return {k: self.info[k] for k in keys if k in self.info}
