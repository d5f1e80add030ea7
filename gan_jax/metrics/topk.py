"""Top-1 and top-k scores of class predictions, shared by the classifiers, the evaluators and
ACGAN's metrics."""

import jax.numpy as jnp


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
  import numpy as np
  k = np.asarray(labels).sum(-1).astype(np.float64)
  return {"images": float(np.mean(k / num_classes)),
          "objects": float(np.sum(k * k / num_classes) / max(np.sum(k), 1))}
