"""tf.data input pipeline whose order is a pure function of (seed, step).

The element at global stream position g = (step * d_steps + i) * B + j is image
``index_shuffle(g mod N, seed=(seed, g div N))`` of the split: a fresh
permutation every epoch, no shuffle buffer, nothing to checkpoint, and a
resumed run reads exactly what an unbroken one reads.  Each process computes
only the positions of its own slice of every global batch.
"""

import jax
import numpy as np
import tensorflow as tf
from absl import logging

from gan_jax.data.specs import RESIZE_METHODS, Split
from gan_jax.errors import ConfigError
from gan_jax.registry import check_choice


def hide_gpus_from_tf():
  """TensorFlow is only the input pipeline: keep it off the accelerators."""
  try:
    tf.config.set_visible_devices([], "GPU")
  except RuntimeError:  # already initialised
    pass


def preprocess(images: tf.Tensor, image_size: int, method: str) -> tf.Tensor:
  """uint8 (B, H, W, C) -> float32 (B, S, S, C) in [-1, 1]."""
  h = images.shape[1]
  x = tf.cast(images, tf.float32) / 127.5 - 1.0
  if h == image_size:
    return x
  if method == "pad":
    if image_size < h or (image_size - h) % 2:
      raise ConfigError(f"data.resize='pad' cannot take {h}px images to {image_size}px; "
                        f"use one of {RESIZE_METHODS[1:]}.")
    p = (image_size - h) // 2
    return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], constant_values=-1.0)
  check_choice("data.resize", method, RESIZE_METHODS)
  return tf.clip_by_value(tf.image.resize(x, (image_size, image_size), method=method), -1.0, 1.0)


def positions(step, *, seed, n, global_batch, d_steps, process_index, process_count):
  """Dataset indices of this process's share of step ``step``: (d_steps, B / P)."""
  local = global_batch // process_count
  sub = tf.range(d_steps, dtype=tf.int64)[:, None] * global_batch
  g = (step * d_steps * global_batch + sub + process_index * local
       + tf.range(local, dtype=tf.int64)[None, :])
  epoch, i = g // n, g % n
  i, epoch = tf.reshape(i, [-1]), tf.reshape(epoch, [-1])
  # One step spans at most two epochs (n >= d_steps * global_batch is checked).
  first = tf.reduce_min(epoch)
  def perm(e):
    return tf.random.experimental.index_shuffle(
        i, tf.stack([tf.constant(seed, tf.int64), e]),
        tf.constant(n - 1, tf.int64))
  return tf.where(epoch == first, perm(first), perm(first + 1))


def create_train_iterator(split: Split, *, batch_size: int, image_size: int, resize: str,
                          seed: int, d_steps: int, start_step: int, num_steps: int,
                          prefetch: int = 2):
  """Yields this process's numpy batches of steps ``start_step..num_steps-1``:
  {'image': (d_steps, B/P, S, S, C) f32 in [-1, 1], 'label': (d_steps, B/P, ...)}."""
  hide_gpus_from_tf()
  n = len(split.images)
  if n < d_steps * batch_size:
    raise ConfigError(f"The split has {n} images, fewer than one step reads "
                      f"({d_steps} x {batch_size}); use a smaller data.batch_size.")
  local = batch_size // jax.process_count()
  images = tf.constant(split.images)
  labels = tf.constant(split.labels)
  shape = (d_steps, local)

  def load(step):
    idx = positions(step, seed=seed, n=n, global_batch=batch_size, d_steps=d_steps,
                    process_index=jax.process_index(), process_count=jax.process_count())
    x = preprocess(tf.gather(images, idx), image_size, resize)
    y = tf.gather(labels, idx)
    return {"image": tf.reshape(x, shape + tuple(x.shape[1:])),
            "label": tf.reshape(y, shape + tuple(y.shape[1:]))}

  ds = tf.data.Dataset.range(start_step, num_steps)
  ds = ds.map(load, num_parallel_calls=1, deterministic=True)
  ds = ds.prefetch(prefetch)
  # A batch takes ~1 ms to gather: one thread, so the pipeline never competes
  # with XLA for the cores.
  options = tf.data.Options()
  options.threading.private_threadpool_size = 1
  options.threading.max_intra_op_parallelism = 1
  options.autotune.enabled = False
  ds = ds.with_options(options)
  logging.info("Train data: %s, %d images, global batch %d (%d per process)",
               split.source, n, batch_size, local)
  return iter(ds.as_numpy_iterator())


def images_for_metrics(split: Split, indices: np.ndarray, image_size: int, resize: str) -> np.ndarray:
  """Images ``indices`` of a split, preprocessed exactly as for training, as uint8 (what a
  saved PNG of a training batch would hold): the reference side of FID-like metrics."""
  hide_gpus_from_tf()
  x = np.asarray(preprocess(tf.constant(split.images[indices]), image_size, resize))
  return np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8)
