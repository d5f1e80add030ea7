"""tf.data input pipeline whose order is a pure function of (seed, step).

The element at global stream position g = (step * d_steps + i) * B + j is image
``index_shuffle(g mod N, seed=(seed, g div N))`` of the split: a fresh
permutation every epoch, no shuffle buffer, nothing to checkpoint, and a
resumed run reads exactly what an unbroken one reads.  Each process computes
only the positions of its own slice of every global batch, and reads only those
examples from the split's random-access source (``tfds.data_source`` over
array_record, or an image folder): no split is ever held in memory.

tf.data (not Grain) drives it: TensorFlow is already the input dependency, its parallel
``map`` decodes image files off the Python thread, and the index arithmetic above is a
few tensor ops; Grain would add a package for the same index-shuffled sampler.
"""

import re

import jax
import numpy as np
import tensorflow as tf
from absl import logging

from gan_jax.data.specs import RESIZE_METHODS
from gan_jax.data.source import Source, UnreadableImageError
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice


def hide_gpus_from_tf():
  """TensorFlow is only the input pipeline: keep it off the accelerators."""
  try:
    tf.config.set_visible_devices([], "GPU")
  except RuntimeError:  # already initialised
    pass


def _centre_crop(x: tf.Tensor, crop: int) -> tf.Tensor:
  """The centred crop x crop square (crop 0: the largest centred square) of (..., H, W, C)."""
  h, w = tf.shape(x)[-3], tf.shape(x)[-2]
  side = tf.minimum(h, w) if crop == 0 else tf.minimum(tf.minimum(h, w), crop)
  top, left = (h - side) // 2, (w - side) // 2
  return x[..., top:top + side, left:left + side, :]


def preprocess(images: tf.Tensor, image_size: int, method: str, crop: int = 0) -> tf.Tensor:
  """uint8 (B, H, W, C) or (H, W, C) -> float32 (..., S, S, C) in [-1, 1]: centre crop
  (``crop`` px, 0 = the largest square), then pad or resize to ``image_size``."""
  h, w = images.shape[-3], images.shape[-2]
  x = tf.cast(images, tf.float32) / 127.5 - 1.0
  if h is not None and h == w == image_size and crop in (0, image_size):
    return x
  if method == "pad":
    if h is None or h != w or image_size < h or (image_size - h) % 2 or crop:
      raise ConfigError(f"data.resize='pad' cannot take {h}x{w}px images"
                        + (f" cropped to {crop}" if crop else "") + f" to {image_size}px; "
                        f"use one of {RESIZE_METHODS[1:]}.")
    p = (image_size - h) // 2
    pad = [[p, p], [p, p], [0, 0]]
    return tf.pad(x, ([[0, 0]] if x.shape.rank == 4 else []) + pad, constant_values=-1.0)
  check_choice("data.resize", method, RESIZE_METHODS)
  x = _centre_crop(x, crop)
  return tf.clip_by_value(tf.image.resize(x, (image_size, image_size), method=method), -1.0, 1.0)


def positions(step, *, seed, n, global_batch, d_steps, process_index, process_count,
              first_epoch=0):
  """Dataset indices of this process's share of step ``step``: (d_steps, B / P); epochs are
  numbered from ``first_epoch`` (each has its own permutation)."""
  local = global_batch // process_count
  sub = tf.range(d_steps, dtype=tf.int64)[:, None] * global_batch
  g = (step * d_steps * global_batch + sub + process_index * local
       + tf.range(local, dtype=tf.int64)[None, :])
  epoch, i = g // n + first_epoch, g % n
  i, epoch = tf.reshape(i, [-1]), tf.reshape(epoch, [-1])
  # One step spans at most two epochs (n >= d_steps * global_batch is checked).
  first = tf.reduce_min(epoch)
  def perm(e):
    return tf.random.experimental.index_shuffle(
        i, tf.stack([tf.constant(seed, tf.int64), e]),
        tf.constant(n - 1, tf.int64))
  return tf.where(epoch == first, perm(first), perm(first + 1))


def _reader(source: Source, image_size: int, resize: str, crop: int):
  """index -> (float32 (S, S, C), label) for sources of mixed image sizes (parallel map)."""
  def read_one(i):
    image, label = tf.numpy_function(
        lambda j: _numpy_call(source.read_image, int(j)), [i],
        [tf.uint8, tf.dtypes.as_dtype(source.label_dtype)], stateful=False)
    image.set_shape((None, None, source.channels))
    label.set_shape(source.label_shape)
    return preprocess(image, image_size, resize, crop), label
  return read_one


def _numpy_call(fn, *args):
  try:
    return fn(*args)
  except UnreadableImageError as e:  # carried through TensorFlow's error, then re-raised
    raise ValueError(f"[gan_jax-unreadable] {e} [/gan_jax-unreadable]") from None


def _batches(ds):
  """The dataset's numpy elements; an unreadable image file surfaces as the error naming it."""
  it = ds.as_numpy_iterator()
  while True:
    try:
      yield next(it)
    except StopIteration:
      return
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as e:
      m = re.search(r"\[gan_jax-unreadable\] (.*?) \[/gan_jax-unreadable\]", str(e), re.S)
      if m:
        raise UnreadableImageError(m.group(1)) from None
      raise


def _indexed(source: Source, indices: tf.data.Dataset, batch: int, image_size: int,
             resize: str, crop: int, threads: int) -> tf.data.Dataset:
  """Batches of ``batch`` preprocessed examples for a dataset of (batch,) index vectors."""
  if source.shape is not None:  # uniform images: one read of the whole batch
    h, w, c = source.shape

    def read(idx):
      x, y = tf.numpy_function(lambda j: source.read(j), [idx],
                               [tf.uint8, tf.dtypes.as_dtype(source.label_dtype)],
                               stateful=False)
      x.set_shape((batch, h, w, c))
      y.set_shape((batch,) + source.label_shape)
      return preprocess(x, image_size, resize, crop), y
    return indices.map(read, num_parallel_calls=1, deterministic=True)
  return (indices.unbatch()
          .map(_reader(source, image_size, resize, crop), num_parallel_calls=threads,
               deterministic=True)
          .batch(batch, drop_remainder=False))


def _options(threads: int) -> tf.data.Options:
  # Uniform batches take ~1 ms to read: one thread, so the pipeline never competes with
  # XLA for the cores; image files get ``data.decode_threads``.
  options = tf.data.Options()
  options.threading.private_threadpool_size = max(1, threads)
  options.threading.max_intra_op_parallelism = 1
  options.autotune.enabled = False
  return options


def create_train_iterator(source: Source, *, batch_size: int, image_size: int, resize: str,
                          seed: int, d_steps: int, start_step: int, num_steps: int,
                          prefetch: int = 2, crop: int = 0, threads: int = 1,
                          kept: np.ndarray | None = None, epoch: int = 0, epoch_start: int = 0):
  """Yields this process's numpy batches of steps ``start_step..num_steps-1``:
  {'image': (d_steps, B/P, S, S, C) f32 in [-1, 1], 'label': (d_steps, B/P, ...)}.

  With ``kept`` (dataset indices; the real-image threshold) the steps read one epoch,
  numbered ``epoch`` and starting at step ``epoch_start``, of a permutation of ``kept`` only,
  and each batch also holds the dataset ``index`` (d_steps, B/P) of its images."""
  hide_gpus_from_tf()
  n = len(source) if kept is None else len(kept)
  if n < d_steps * batch_size:
    raise ConfigError(f"The split has {n} images, fewer than one step reads "
                      f"({d_steps} x {batch_size}); use a smaller data.batch_size.")
  local = batch_size // jax.process_count()
  shape = (d_steps, local)

  kept_t = None if kept is None else tf.constant(np.asarray(kept, np.int64))

  def step_indices(step):
    if kept_t is None:
      return positions(step, seed=seed, n=n, global_batch=batch_size, d_steps=d_steps,
                       process_index=jax.process_index(), process_count=jax.process_count())
    pos = positions(step - epoch_start, seed=seed, n=n, global_batch=batch_size,
                    d_steps=d_steps, process_index=jax.process_index(),
                    process_count=jax.process_count(), first_epoch=epoch)
    return tf.gather(kept_t, pos)

  def reshape(x, y):
    return {"image": tf.reshape(x, shape + (image_size, image_size, source.channels)),
            "label": tf.reshape(y, shape + source.label_shape)}

  ds = tf.data.Dataset.range(start_step, num_steps).map(step_indices)
  if kept is None:
    ds = _indexed(source, ds, d_steps * local, image_size, resize, crop, threads).map(reshape)
  else:
    data = _indexed(source, ds, d_steps * local, image_size, resize, crop, threads)
    ds = tf.data.Dataset.zip(data, ds).map(
        lambda xy, idx: dict(reshape(*xy), index=tf.reshape(tf.cast(idx, tf.int32), shape)))
  ds = ds.prefetch(prefetch).with_options(_options(threads))
  logging.info("Train data: %s, %d images, global batch %d (%d per process)",
               source.description, n, batch_size, local)
  return _batches(ds)


def images_for_metrics(source: Source, indices: np.ndarray, image_size: int, resize: str,
                       crop: int = 0, threads: int = 1, chunk: int = 256) -> np.ndarray:
  """Images ``indices`` of a split, preprocessed exactly as for training, as uint8 (what a
  saved PNG of a training batch would hold): the reference side of FID-like metrics."""
  hide_gpus_from_tf()
  indices = np.asarray(indices, np.int64)
  chunks = [indices[i:i + chunk] for i in range(0, len(indices), chunk)]
  out = []
  for c in chunks:
    ds = _indexed(source, tf.data.Dataset.from_tensors(c), len(c), image_size, resize, crop,
                  threads).with_options(_options(threads))
    for x, _ in _batches(ds):
      out.append(np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8))
  return np.concatenate(out) if out else np.zeros((0, image_size, image_size, source.channels),
                                                  np.uint8)
