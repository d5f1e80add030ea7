"""Top-1 and top-k scores of class predictions, shared by the classifiers, the evaluators and
ACGAN's metrics."""

import math

import jax.numpy as jnp
import numpy as np


def topk_hits(logits, labels):
  """Multi-hot (B, K): ``(hits, k)`` per example, hits = how many of its k labels are among
  its k highest logits."""
  logits, labels = jnp.asarray(logits), jnp.asarray(labels)
  k = jnp.sum(labels, -1)
  rank = jnp.argsort(jnp.argsort(-logits, axis=-1), axis=-1)  # 0 = the highest logit
  return jnp.sum(labels * (rank < k[:, None]), -1), k


def topk_score(logits, labels, average: str = "images"):
  """Class indices (B,): top-1 accuracy. Multi-hot (B, K): top-k hits (``topk_hits``) either
  averaged per example as hits / k (``average="images"``) or summed over the batch and
  divided by all labels on (``average="objects"``, the i-CLEVR course's evaluator, which
  weighs an image of 3 objects 3 times one of 1)."""
  logits, labels = jnp.asarray(logits), jnp.asarray(labels)
  if labels.ndim == 1:
    return jnp.mean((jnp.argmax(logits, -1) == labels).astype(jnp.float32))
  hits, k = topk_hits(logits, labels)
  if average == "objects":
    return jnp.sum(hits) / jnp.maximum(jnp.sum(k), 1)
  if average != "images":
    raise ValueError(f"average must be 'images' or 'objects', got {average!r}")
  return jnp.mean(hits / jnp.maximum(k, 1))


def topk_chance(labels, num_classes: int) -> dict:
  """The expected score of a judge that ranks classes at random, for these conditions: a
  condition of k objects expects k * k / K hits."""
  k = np.asarray(labels).sum(-1).astype(np.float64)
  return {"images": float(np.mean(k / num_classes)),
          "objects": float(np.sum(k * k / num_classes) / max(np.sum(k), 1))}


def _words(names, pos: int):
  """(K,) index of each class name's word at ``pos`` and the (K, W) one-hot of it."""
  words = [n.split()[pos] for n in names]
  vocab = sorted(set(words))
  idx = np.array([vocab.index(w) for w in words])
  return idx, np.eye(len(vocab), dtype=bool)[idx]


def word_hits(logits, labels, names) -> dict:
  """For class names of two words, ``"<attribute> <object>"`` ("red cube", "blue hair"), the
  half of each asked class the judge's top-k labels hold: per example (B,), how many asked
  classes share their first word (``attribute``) with one of the k highest logits' classes,
  and how many their last word (``object``). A sample of the asked colour in the wrong shape
  hits on the attribute only."""
  logits, labels = np.asarray(logits), np.asarray(labels) > 0
  k = labels.sum(-1)
  top = np.argsort(np.argsort(-logits, axis=-1), axis=-1) < k[:, None]
  out = {}
  for part, pos in (("attribute", 0), ("object", -1)):
    idx, onehot = _words(names, pos)
    held = (top[:, :, None] & onehot[None]).any(1)  # (B, W): words among the top-k classes
    out[part] = (labels & held[:, idx]).sum(-1)
  return out


def word_chance(labels, names) -> dict:
  """``word_hits`` of a judge that ranks classes at random, over all asked objects: its top-k
  is a uniform k-subset of the K classes, which holds a word shared by n classes with
  probability 1 - C(K - n, k) / C(K, k)."""
  labels = np.asarray(labels) > 0
  num = labels.shape[-1]
  out = {}
  for part, pos in (("attribute", 0), ("object", -1)):
    idx, onehot = _words(names, pos)
    share = onehot.sum(0)[idx]  # classes with each class's word
    total = 0.0
    for row in labels:
      k = int(row.sum())
      total += sum(1 - math.comb(num - int(share[j]), k) / math.comb(num, k)
                   for j in np.flatnonzero(row))
    out[part] = total / max(int(labels.sum()), 1)
  return out
