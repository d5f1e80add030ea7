"""Input pipeline whose order is a pure function of (seed, step); numpy, no TensorFlow.

The element at global stream position g = (step * d_steps + i) * B + j is image
``order(seed, g div N)[g mod N]`` of the split, where ``order(seed, epoch)`` is a permutation
of the N images drawn from a generator seeded by (seed, epoch): a fresh permutation every
epoch, no shuffle buffer, nothing to checkpoint, and a resumed run reads exactly what an
unbroken one reads. Each process computes only the positions of its own slice of every
global batch, and reads only those examples from the split's random-access source
(``records.RecordSource`` over array_record, or an image folder): no split is ever held in
memory. A background thread reads ``prefetch`` steps ahead; image files are decoded by
``data.decode_threads`` threads.

Resizing matches TensorFlow 2's ``tf.image.resize`` (antialias off) for every method of
``data.resize`` (``data/resize.py``'s matrices); ``tests/data/pipeline_test.py`` checks each
against TensorFlow.
"""

import concurrent.futures
import functools
import queue
import threading

import jax
import numpy as np
from absl import logging

from gan_jax.data.resize import resize_matrix
from gan_jax.data.source import Source
from gan_jax.data.specs import FITS, RESIZE_METHODS
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice


# ---- order ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
  """The permutation of ``range(n)`` that epoch ``epoch`` of a run seeded ``seed`` reads."""
  order = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(epoch)]).permutation(n)
  order.flags.writeable = False
  return order


def positions(step, *, seed, n, global_batch, d_steps, process_index, process_count,
              first_epoch=0) -> np.ndarray:
  """Dataset indices of this process's share of step ``step``, flattened (d_steps * B / P);
  epochs are numbered from ``first_epoch`` (each has its own permutation)."""
  local = global_batch // process_count
  g = (int(step) * d_steps * global_batch
       + np.arange(d_steps, dtype=np.int64)[:, None] * global_batch
       + process_index * local + np.arange(local, dtype=np.int64)[None, :]).reshape(-1)
  epoch, i = g // n + first_epoch, g % n
  out = np.empty_like(i)
  for e in np.unique(epoch):
    sel = epoch == e
    out[sel] = epoch_order(seed, int(e), n)[i[sel]]
  return out


# ---- preprocessing (tf.image.resize's methods, as matrices) -----------------------------------

def _centre_crop(x: np.ndarray, crop: int) -> np.ndarray:
  """The centred crop x crop square (crop 0: the largest centred square) of (..., H, W, C)."""
  h, w = x.shape[-3], x.shape[-2]
  side = min(h, w) if crop == 0 else min(h, w, crop)
  top, left = (h - side) // 2, (w - side) // 2
  return x[..., top:top + side, left:left + side, :]


def _pad_square(x: np.ndarray) -> np.ndarray:
  """(..., H, W, C) padded with black (-1) on both sides of its shorter side to a square."""
  h, w = x.shape[-3], x.shape[-2]
  side = max(h, w)
  top, left = (side - h) // 2, (side - w) // 2
  pad = [(0, 0)] * (x.ndim - 3) + [(top, side - h - top), (left, side - w - left), (0, 0)]
  return np.pad(x, pad, constant_values=-1.0)


def preprocess(images: np.ndarray, image_size: int, method: str, crop: int = 0,
               fit: str = "crop") -> np.ndarray:
  """uint8 (B, H, W, C) or (H, W, C) -> float32 (..., S, S, C) in [-1, 1]: a non-square
  image becomes square as ``fit`` says (``crop``: the centred square, ``crop`` px or 0 = the
  largest; ``squash``: the whole frame, its aspect not kept; ``pad``: the whole frame padded
  with black), then is padded (``method='pad'``) or resized to ``image_size``."""
  images = np.asarray(images)
  h, w = images.shape[-3], images.shape[-2]
  x = images.astype(np.float32) / 127.5 - 1.0
  if h == w == image_size and crop in (0, image_size):
    return x
  if method == "pad":
    if h != w or image_size < h or (image_size - h) % 2 or crop:
      raise ConfigError(f"data.resize='pad' cannot take {h}x{w}px images"
                        + (f" cropped to {crop}" if crop else "") + f" to {image_size}px; "
                        f"use one of {RESIZE_METHODS[1:]}.")
    p = (image_size - h) // 2
    pad = [(0, 0)] * (x.ndim - 3) + [(p, p), (p, p), (0, 0)]
    return np.pad(x, pad, constant_values=-1.0)
  check_choice("data.resize", method, RESIZE_METHODS)
  check_choice("data.fit", fit, FITS)
  if fit == "crop":
    x = _centre_crop(x, crop)
  elif fit == "pad":
    x = _pad_square(x)
  rh = resize_matrix(x.shape[-3], image_size, method)
  rw = resize_matrix(x.shape[-2], image_size, method)
  y = np.einsum("oh,...hwc->...owc", rh, x, optimize=True)
  y = np.einsum("pw,...owc->...opc", rw, y, optimize=True)
  return np.clip(y, -1.0, 1.0).astype(np.float32)


# ---- reading ---------------------------------------------------------------------------------

class _Reader:
  """Preprocessed images and labels of dataset indices: one read of the whole batch for
  uniform sources, ``threads`` decoders one image at a time for image folders."""

  def __init__(self, source: Source, image_size: int, resize: str, crop: int, threads: int,
               fit: str = "crop"):
    self.source, self.size, self.resize, self.crop, self.fit = (source, image_size, resize,
                                                                crop, fit)
    self.pool = (concurrent.futures.ThreadPoolExecutor(max(1, threads))
                 if source.shape is None else None)

  def one(self, i):
    image, label = self.source.read_image(int(i))
    return preprocess(image, self.size, self.resize, self.crop, self.fit), label

  def __call__(self, idx: np.ndarray):
    if self.pool is None:
      x, y = self.source.read(idx)
      return preprocess(x, self.size, self.resize, self.crop, self.fit), np.asarray(
          y, self.source.label_dtype)
    pairs = list(self.pool.map(self.one, idx))
    return (np.stack([p[0] for p in pairs]),
            np.asarray([p[1] for p in pairs], self.source.label_dtype))

  def close(self):
    if self.pool is not None:
      self.pool.shutdown(wait=False, cancel_futures=True)


def _prefetched(produce, steps, depth: int):
  """``produce(step)`` for each step, computed by a background thread ``depth`` ahead; an
  error there is raised here; closing the generator stops the thread."""
  q, stop = queue.Queue(maxsize=max(1, depth)), threading.Event()

  def work():
    try:
      for s in steps:
        item = produce(s)
        while not stop.is_set():
          try:
            q.put(("ok", item), timeout=0.1)
            break
          except queue.Full:
            pass
        if stop.is_set():
          return
      q.put(("end", None))
    except BaseException as e:  # noqa: BLE001 (carried to the consumer)
      q.put(("error", e))

  thread = threading.Thread(target=work, daemon=True, name="gan_jax-input")
  thread.start()
  try:
    while True:
      kind, item = q.get()
      if kind == "end":
        return
      if kind == "error":
        raise item
      yield item
  finally:
    stop.set()


def create_train_iterator(source: Source, *, batch_size: int, image_size: int, resize: str,
                          seed: int, d_steps: int, start_step: int, num_steps: int,
                          prefetch: int = 2, crop: int = 0, threads: int = 1,
                          kept: np.ndarray | None = None, epoch: int = 0, epoch_start: int = 0,
                          fit: str = "crop"):
  """Yields this process's numpy batches of steps ``start_step..num_steps-1``:
  {'image': (d_steps, B/P, S, S, C) f32 in [-1, 1], 'label': (d_steps, B/P, ...)}.

  With ``kept`` (dataset indices; the real-image threshold) the steps read one epoch,
  numbered ``epoch`` and starting at step ``epoch_start``, of a permutation of ``kept`` only,
  and each batch also holds the dataset ``index`` (d_steps, B/P) of its images."""
  n = len(source) if kept is None else len(kept)
  if n < d_steps * batch_size:
    raise ConfigError(f"The split has {n} images, fewer than one step reads "
                      f"({d_steps} x {batch_size}); use a smaller data.batch_size.")
  local = batch_size // jax.process_count()
  shape = (d_steps, local)
  kept = None if kept is None else np.asarray(kept, np.int64)
  reader = _Reader(source, image_size, resize, crop, threads, fit)

  def produce(step):
    if kept is None:
      idx = positions(step, seed=seed, n=n, global_batch=batch_size, d_steps=d_steps,
                      process_index=jax.process_index(), process_count=jax.process_count())
    else:
      idx = kept[positions(step - epoch_start, seed=seed, n=n, global_batch=batch_size,
                           d_steps=d_steps, process_index=jax.process_index(),
                           process_count=jax.process_count(), first_epoch=epoch)]
    x, y = reader(idx)
    batch = {"image": x.reshape(shape + x.shape[1:]), "label": y.reshape(shape + y.shape[1:])}
    if kept is not None:
      batch["index"] = idx.astype(np.int32).reshape(shape)
    return batch

  logging.info("Train data: %s, %d images, global batch %d (%d per process)",
               source.description, n, batch_size, local)

  def batches():
    try:
      yield from _prefetched(produce, range(start_step, num_steps), prefetch)
    finally:
      reader.close()
  return batches()


def images_for_metrics(source: Source, indices: np.ndarray, image_size: int, resize: str,
                       crop: int = 0, threads: int = 1, chunk: int = 256,
                       fit: str = "crop") -> np.ndarray:
  """Images ``indices`` of a split, preprocessed exactly as for training, as uint8 (what a
  saved PNG of a training batch would hold): the reference side of FID-like metrics."""
  indices = np.asarray(indices, np.int64)
  reader = _Reader(source, image_size, resize, crop, threads, fit)
  out = []
  try:
    for i in range(0, len(indices), chunk):
      x, _ = reader(indices[i:i + chunk])
      out.append(np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8))
  finally:
    reader.close()
  return np.concatenate(out) if out else np.zeros((0, image_size, image_size, source.channels),
                                                  np.uint8)
