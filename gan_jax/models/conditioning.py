"""The conditioning contract shared by every model, loss and evaluator.

* A generator is ``G(z, y=None, train=...)``; a discriminator ``D(x, y=None, train=...)``
  returns a ``DOutput``: adversarial logits, and optionally class logits (ACGAN) and a
  reconstruction (BEGAN's autoencoder).
* ``y`` is ``None`` (unconditional), class indices ``(B,) int32``, or multi-hot vectors
  ``(B, K) float32``, as the dataset's ``label_kind`` says.
* ``LatentSampler`` draws ``(z, y)`` for training, fixed sample grids and evaluation.
  Evaluation draws are indexed: sample ``i`` is a function of ``(seed, i)`` alone, so the
  same protocol gives the same samples on any device count and batch size.
"""

import dataclasses
import hashlib
from typing import Any

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.data.specs import LABEL_KINDS
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice


@flax.struct.dataclass
class DOutput:
  """What a discriminator returns."""
  logits: jax.Array                       # (B,) adversarial logits (or critic values)
  class_logits: jax.Array | None = None   # (B, K) auxiliary classifier (ACGAN)
  reconstruction: jax.Array | None = None  # (B, H, W, C) autoencoder output (BEGAN)
  target: jax.Array | None = None          # (B, H, W, C) what the autoencoder was given (the
                                          # image after any DiffAugment): its reconstruction target
  code: jax.Array | None = None            # (B, code_dim) the autoencoder's bottleneck code
                                          # (BEGAN-CS's code-consistency term)


@dataclasses.dataclass(frozen=True)
class Condition:
  """What a model is conditioned on: ``kind`` in LABEL_KINDS, with ``num_classes`` labels."""
  kind: str = "none"
  num_classes: int = 0

  def __post_init__(self):
    check_choice("label kind", self.kind, LABEL_KINDS)
    if self.kind != "none" and self.num_classes < 2:
      raise ConfigError(f"a {self.kind} condition needs at least 2 classes, got {self.num_classes}.")

  @property
  def active(self) -> bool:
    return self.kind != "none"

  def vector(self, y) -> jax.Array:
    """Labels as float vectors (B, K): one-hot of class indices, multi-hot as given; a class
    condition also takes (B, K) weights (soft labels, as interpolation between classes)."""
    if self.kind == "class" and jnp.ndim(y) == 1:
      return jax.nn.one_hot(y, self.num_classes, dtype=jnp.float32)
    return jnp.asarray(y, jnp.float32)


class LabelEmbedding(nn.Module):
  """Labels -> (B, features): a learned embedding (a bias-free linear map of the label
  vector, i.e. an embedding table for class indices, a sum of tag embeddings for multi-hot),
  with ``use_bias`` a fully connected layer with PyTorch's default init (the i-CLEVR
  conditional-DCGAN report's ``Linear(24, 200)``), or with ``features=0`` the label vector
  itself (one-hot / multi-hot)."""
  condition: Condition
  features: int
  use_bias: bool = False
  dtype: Any = None

  @nn.compact
  def __call__(self, y):
    v = self.condition.vector(y)
    if self.features == 0:
      return v if self.dtype is None else v.astype(self.dtype)
    if self.use_bias:
      from gan_jax.models.common import TorchDense
      return TorchDense(self.features, dtype=self.dtype)(v)
    return nn.Dense(self.features, use_bias=False, kernel_init=nn.initializers.normal(1.0),
                    dtype=self.dtype)(v)


class LabelPlanes(nn.Module):
  """Labels as extra input channels of an (B, H, W, C) image.

  ``planes``: one constant plane per label (the label vector tiled over the image, the
  usual conditional-DCGAN input); ``dense_plane``: a fully connected layer from the label
  vector to one H x W plane (the i-CLEVR conditional-DCGAN report); ``projection`` and
  ``none`` add nothing to the input (see ``DHead``)."""
  condition: Condition
  mode: str = "planes"
  dtype: Any = None

  @nn.compact
  def __call__(self, x, y):
    if self.mode in ("projection", "none"):
      return x
    b, h, w, _ = x.shape
    v = self.condition.vector(y)
    if self.mode == "planes":
      planes = jnp.broadcast_to(v[:, None, None, :], (b, h, w, v.shape[-1]))
    elif self.mode == "dense_plane":
      from gan_jax.models.common import TorchDense
      planes = TorchDense(h * w, dtype=self.dtype)(v).reshape(b, h, w, 1)
    else:
      check_choice("model.d_label_input", self.mode, D_LABEL_INPUTS)
    return jnp.concatenate([x, planes.astype(x.dtype)], axis=-1)


class DHead(nn.Module):
  """The end of a discriminator, given its last hidden ``features`` (B, F) and its
  unconditional ``logits`` (B,):

  * ``label_input='projection'`` (Miyato & Koyama 2018, "cGANs with projection
    discriminator"): logits + <embed(y), features>, ``embed`` a learned bias-free map of
    the label vector (a class table, or a sum of tag vectors for multi-hot), Glorot-uniform
    initialised as in that paper's code, and spectrally normalised when the rest of D is
    (``spectral_norm``). Its scale matters: at N(0, 1) on 4,096 flattened features the
    projection term dwarfs the rest of D and G learns nothing from it;
  * ``aux_classes`` > 0: an auxiliary classifier, ``class_logits = Dense(aux_classes)``
    of the features (ACGAN, Odena et al. 2017).

  The head computes in float32 whatever the network's compute dtype: its inputs are cast
  up, so the logits the losses see are float32 sums."""
  condition: Condition
  label_input: str = "planes"
  aux_classes: int = 0
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, features, logits, y, train: bool = False):
    features, logits = features.astype(jnp.float32), logits.astype(jnp.float32)
    if self.condition.active and self.label_input == "projection":
      v = self.condition.vector(y)
      table = nn.Dense(features.shape[-1], use_bias=False, name="projection",
                       kernel_init=nn.initializers.glorot_uniform())
      e = (nn.SpectralNorm(table, name="projection_sn")(v, update_stats=train)
           if self.spectral_norm else table(v))
      logits = logits + jnp.sum(e * features, axis=-1)
    class_logits = (nn.Dense(self.aux_classes, name="aux_classifier")(features)
                    if self.aux_classes else None)
    return DOutput(logits=logits, class_logits=class_logits)


D_LABEL_INPUTS = ("planes", "dense_plane", "projection", "none")
LATENT_DISTRIBUTIONS = ("normal", "uniform")
LABEL_DRAWS = ("train", "random")


class LabelPool:
  """The distinct label vectors of a training set with their frequencies: generated
  conditions drawn from it follow the training set's own joint distribution of labels (which
  pairs of tags occur, how often).

  ``LabelPool(labels)`` holds them now and is equal and hashed by content; ``LabelPool(load)``
  with a function returning them reads them at the first draw (a config that is only built,
  never trained, reads no data) and is equal only to itself. Either way a jitted function
  closing over a sampler is cached per pool."""

  def __init__(self, labels_or_load):
    self._load = labels_or_load if callable(labels_or_load) else None
    self._vectors = None
    if self._load is None:
      self._set(labels_or_load)

  def _set(self, labels):
    labels = np.asarray(labels, np.float32)
    if labels.ndim != 2 or not len(labels):
      raise ConfigError("a label pool needs a non-empty (N, K) array of multi-hot labels.")
    self._vectors, counts = np.unique(labels, axis=0, return_counts=True)
    self._log_weights = np.log(counts / counts.sum()).astype(np.float32)
    self._digest = hashlib.sha256(self._vectors.tobytes() + counts.tobytes()).hexdigest()

  @property
  def vectors(self) -> np.ndarray:
    if self._vectors is None:
      self._set(self._load())
    return self._vectors

  @property
  def log_weights(self) -> np.ndarray:
    self.vectors  # noqa: B018  (loads a lazy pool)
    return self._log_weights

  def __len__(self):
    return len(self.vectors)

  def __eq__(self, other):
    if self._load is not None or getattr(other, "_load", None) is not None:
      return self is other
    return isinstance(other, LabelPool) and other._digest == self._digest

  def __hash__(self):
    return id(self) if self._load is not None else hash(self._digest)

  def draw(self, key, n: int):
    idx = jax.random.categorical(key, jnp.asarray(self.log_weights), shape=(n,))
    return jnp.asarray(self.vectors)[idx]


@dataclasses.dataclass(frozen=True)
class LatentSampler:
  """Draws generator inputs ``(z, y)``; ``y`` is None for an unconditional model."""
  latent_dim: int
  condition: Condition = Condition()
  distribution: str = "normal"  # normal: N(0, 1) | uniform: U(-1, 1) (BEGAN, Lucic et al.)
  # multi-hot draws: "train", the training set's own label vectors (``label_pool``) at their
  # frequencies; "random", 1..max_active labels on, uniformly
  label_draw: str = "train"
  max_active: int = 3
  label_pool: LabelPool | None = None

  def __post_init__(self):
    check_choice("model.latent_dist", self.distribution, LATENT_DISTRIBUTIONS)
    check_choice("model.label_draw", self.label_draw, LABEL_DRAWS)
    if self.condition.kind == "multi_hot":
      if self.label_draw == "random" and self.max_active < 1:
        raise ConfigError(f"model.max_active must be >= 1, got {self.max_active}.")

  def noise(self, key, shape):
    if self.distribution == "uniform":
      return jax.random.uniform(key, shape, jnp.float32, -1.0, 1.0)
    return jax.random.normal(key, shape, jnp.float32)

  def labels(self, key, n: int):
    c = self.condition
    if c.kind == "class":
      return jax.random.randint(key, (n,), 0, c.num_classes, jnp.int32)
    if c.kind == "multi_hot":
      if self.label_draw == "train":
        if self.label_pool is None:
          raise ConfigError("model.label_draw='train' draws conditions from the training "
                            "labels, which were not given; set model.label_draw='random' to "
                            "draw 1..model.max_active random labels instead.")
        width = self.label_pool.vectors.shape[1]
        if width != c.num_classes:
          raise ConfigError(f"the training labels have {width} tags, the condition "
                            f"{c.num_classes}.")
        return self.label_pool.draw(key, n)
      k_count, k_perm = jax.random.split(key)
      count = jax.random.randint(k_count, (n, 1), 1, min(self.max_active, c.num_classes) + 1)
      # a random ranking of the labels per row; the `count` best are on
      ranks = jnp.argsort(jnp.argsort(jax.random.uniform(k_perm, (n, c.num_classes)), axis=-1),
                          axis=-1)
      return (ranks < count).astype(jnp.float32)
    return None

  def draw(self, key, n: int):
    """Training draws: z from ``key`` (as an unconditional model always drew it), labels from
    ``fold_in(key, 1)``."""
    z = self.noise(key, (n, self.latent_dim))
    return z, self.labels(jax.random.fold_in(key, 1), n)

  def draw_indexed(self, key, start: int, count: int):
    """Draws ``start .. start+count-1``: sample i is ``draw(fold_in(key, i), 1)``, so a set of
    samples does not depend on how it is split into batches or over devices."""
    idx = jnp.asarray(start, jnp.uint32) + jnp.arange(count, dtype=jnp.uint32)
    z, y = jax.vmap(lambda i: self.draw(jax.random.fold_in(key, i), 1))(idx)
    return z[:, 0], (None if y is None else y[:, 0])

  def dummy(self, n: int):
    """Zeros of the right shapes (for initialisation)."""
    z = jnp.zeros((n, self.latent_dim), jnp.float32)
    c = self.condition
    if c.kind == "class":
      return z, jnp.zeros((n,), jnp.int32)
    if c.kind == "multi_hot":
      return z, jnp.zeros((n, c.num_classes), jnp.float32)
    return z, None

  def grid(self, key, n: int):
    """A fixed sample grid: ``(z, y, columns)``. Class-conditional: one row per class, the
    same noise down each column; otherwise n draws in a square-ish grid."""
    c = self.condition
    if c.kind == "class":
      cols = max(1, n // c.num_classes)
      z = self.noise(key, (cols, self.latent_dim))
      return (jnp.tile(z, (c.num_classes, 1)),
              jnp.repeat(jnp.arange(c.num_classes, dtype=jnp.int32), cols), cols)
    z, y = self.draw(key, n)
    return z, y, None
