"""Training a judge classifier: Adam with a cosine decay, random translations (and flips for
the shapes), softmax cross-entropy for classes, sigmoid cross-entropy for multi-hot labels;
its score on a held-out split."""

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import logging

from gan_jax.classifiers.net import Classifier, Net, Recipe
from gan_jax.metrics.topk import topk_score


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


def train_classifier(train_src, test_src, num_classes: int, image_size: int, resize: str,
                     crop: int, recipe: Recipe, threads: int = 2, fit: str = "crop"):
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
      threads=threads, fit=fit)
  t0 = last = time.time()
  for i, batch in enumerate(batches):
    variables, opt_state, loss = step(variables, opt_state, batch["image"][0],
                                      batch["label"][0], i)
    now = time.time()
    if now - last > 15 or i + 1 == recipe.steps:  # a line every 15 s, with the ETA
      rate = (i + 1) / max(now - t0, 1e-9)
      logging.info("Classifier step %d/%d: loss %.4f, %.1f steps/s, %.0fs, ETA %.0fs", i + 1,
                   recipe.steps, float(loss), rate, now - t0, (recipe.steps - i - 1) / rate)
      last = now
  clf = Classifier(net, variables, {"num_classes": num_classes, "label_kind": (
      "multi_hot" if test_src.label_shape else "class")})
  score = evaluate_on(clf, test_src, image_size, resize, crop, threads, fit)
  return variables, score


def evaluate_on(clf: Classifier, source, image_size, resize, crop, threads=2,
                fit: str = "crop") -> float:
  """The classifier's score (top-1, or the top-k score for multi-hot) on a whole split."""
  from gan_jax.data import pipeline
  idx = np.arange(len(source))
  images = pipeline.images_for_metrics(source, idx, image_size, resize, crop, threads, fit=fit)
  labels = source.all_labels()  # (no second decoding of the images)
  return float(topk_score(clf.logits(images), np.asarray(labels)))
