"""Input pipeline whose order is a pure function of (seed, step); numpy, no TensorFlow.

The element at global stream position g = (step * d_steps + i) * B + j is image
``order(seed, g div N)[g mod N]`` of the split, where ``order(seed, epoch)`` is a permutation
of the N images drawn from a generator seeded by (seed, epoch): a fresh permutation every
epoch, no shuffle buffer, nothing to checkpoint, and a resumed run reads exactly what an
unbroken one reads. Each process computes only the positions of its own slice of every
global batch, and reads only those examples from the split's random-access source
(``records.RecordSource`` over array_record, or an image folder): no split is ever held in
memory. A background thread reads ``prefetch`` steps ahead; images are decoded by
``data.decode_threads`` threads or ``data.decode_processes`` processes (``decoding.py``).

Resizing (``resize.py``) matches TensorFlow 2's ``tf.image.resize`` (antialias off) for
every method of ``data.resize``; ``tests/data/pipeline_test.py`` checks each against TensorFlow.
"""

import collections
import functools
import queue
import threading

import jax
import numpy as np
from absl import logging

from gan_jax.data.decoding import Decoder
from gan_jax.data.resize import preprocess  # noqa: F401  (the pipeline's preprocessing)
from gan_jax.data.source import Source
from gan_jax.utils.errors import ConfigError


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


# ---- reading ---------------------------------------------------------------------------------

def _prefetched(items, depth: int):
  """The items of the iterable ``items``, computed by a background thread ``depth`` ahead;
  an error there is raised here; closing the generator stops the thread."""
  q, stop = queue.Queue(maxsize=max(1, depth)), threading.Event()

  def work():
    try:
      for item in items:
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
                          fit: str = "crop", processes: int = 0):
  """Yields this process's numpy batches of steps ``start_step..num_steps-1``:
  {'image': (d_steps, B/P, S, S, C) f32 in [-1, 1], 'label': (d_steps, B/P, ...)}.

  Images are decoded by ``threads`` threads, or ``processes`` processes when > 0
  (``decoding.py``), with the same bits either way; with workers, the next step's images are
  being decoded while this one's are put together.

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
  decoder = Decoder(source, image_size, resize, crop, fit, threads, processes)

  def indices(step):
    if kept is None:
      return positions(step, seed=seed, n=n, global_batch=batch_size, d_steps=d_steps,
                       process_index=jax.process_index(), process_count=jax.process_count())
    return kept[positions(step - epoch_start, seed=seed, n=n, global_batch=batch_size,
                          d_steps=d_steps, process_index=jax.process_index(),
                          process_count=jax.process_count(), first_epoch=epoch)]

  def assemble(idx, handle):
    x, y = decoder.result(handle)
    batch = {"image": x.reshape(shape + x.shape[1:]), "label": y.reshape(shape + y.shape[1:])}
    if kept is not None:
      batch["index"] = idx.astype(np.int32).reshape(shape)
    return batch

  def produced():
    ahead = collections.deque()  # (indices, decoding handle) of the steps handed to workers
    for step in range(start_step, num_steps):
      idx = indices(step)
      ahead.append((idx, decoder.submit(idx)))
      if len(ahead) > (1 if decoder.pool is not None else 0):
        yield assemble(*ahead.popleft())
    while ahead:
      yield assemble(*ahead.popleft())

  logging.info("Train data: %s, %d images, global batch %d (%d per process)%s",
               source.description, n, batch_size, local,
               f", decoded by {processes} processes" if processes else "")

  def batches():
    try:
      yield from _prefetched(produced(), prefetch)
    finally:
      decoder.close()
  return batches()


def images_for_metrics(source: Source, indices: np.ndarray, image_size: int, resize: str,
                       crop: int = 0, threads: int = 1, chunk: int = 256,
                       fit: str = "crop", processes: int = 0) -> np.ndarray:
  """Images ``indices`` of a split, preprocessed exactly as for training, as uint8 (what a
  saved PNG of a training batch would hold): the reference side of FID-like metrics."""
  indices = np.asarray(indices, np.int64)
  decoder = Decoder(source, image_size, resize, crop, fit, threads, processes)
  out = []
  try:
    for i in range(0, len(indices), chunk):
      x, _ = decoder(indices[i:i + chunk])
      out.append(np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8))
  finally:
    decoder.close()
  return np.concatenate(out) if out else np.zeros((0, image_size, image_size, source.channels),
                                                  np.uint8)
