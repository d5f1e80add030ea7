"""Top-1 and top-k scores of class predictions, shared by the classifiers, the evaluators and
ACGAN's metrics."""

import jax.numpy as jnp


def topk_score(logits, labels):
  """Class indices (B,): top-1 accuracy. Multi-hot (B, K): for each example with k labels on,
  the fraction of them among its k highest logits, averaged over the examples (the i-CLEVR
  conditional-DCGAN report's score)."""
  logits, labels = jnp.asarray(logits), jnp.asarray(labels)
  if labels.ndim == 1:
    return jnp.mean((jnp.argmax(logits, -1) == labels).astype(jnp.float32))
  k = jnp.sum(labels, -1)
  rank = jnp.argsort(jnp.argsort(-logits, axis=-1), axis=-1)  # 0 = the highest logit
  hits = jnp.sum(labels * (rank < k[:, None]), -1)
  return jnp.mean(hits / jnp.maximum(k, 1))
