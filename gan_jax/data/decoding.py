"""Reading and decoding a batch's images in parallel, in threads (``data.decode_threads``) or
in processes (``data.decode_processes``), with the same order and the same bits either way.

A batch's indices are cut into contiguous parts, one per worker, and the parts are put back
in order. Sources of one image shape (array_record splits, arrays) decode each part to uint8
and the whole batch is preprocessed at once, as one read of it would be; image folders of
mixed sizes preprocess each image alone, wherever it is decoded. So the batches are the same,
bit for bit, for every number of threads or processes.

Processes: Pillow's decoders release the GIL, but what is around them (file reads, record
parsing, numpy's small copies) does not, so threads stop scaling after a few cores; a GPU step
can need ten or more (docs/speed.md). The processes are started with ``spawn`` (the training
process runs JAX's threads, which ``fork`` would copy mid-flight), import this module and
numpy only (no JAX), receive the source once, and then only index lists. Written here rather
than taken from a loader (grain, a torch DataLoader) because the order is the pipeline's own
pure function of (seed, step, process) and these are the few lines that parallelise it.
"""

import concurrent.futures
import contextlib
import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from gan_jax.data.resize import preprocess
from gan_jax.data.source import Source
from gan_jax.utils.errors import ConfigError, GanJaxError

_WORKER = {}  # in a decoding process: its source and settings (set once by _start)


def _start(source: Source, settings: tuple):
  _WORKER["source"], _WORKER["settings"] = source, settings


def _part(source: Source, settings: tuple, idx: np.ndarray):
  """Images and labels of ``idx``: uint8 as stored (one shape), or preprocessed one at a
  time (mixed sizes)."""
  if source.shape is not None:
    x, y = source.read(idx)
    return np.asarray(x), np.asarray(y, source.label_dtype)
  pairs = [source.read_image(int(i)) for i in idx]
  x = [preprocess(p[0], *settings) for p in pairs]
  return (np.stack(x) if x else np.zeros((0,), np.float32),
          np.asarray([p[1] for p in pairs], source.label_dtype))


def _worker_part(idx: np.ndarray):
  return _part(_WORKER["source"], _WORKER["settings"], idx)


# Each process is one decoder: its numpy runs one BLAS thread. Left to itself OpenBLAS starts
# one thread per core in every process, and N processes resizing at once then oversubscribe
# the cores many times over: 2 processes on 2 cores decoded 737 images/s instead of 2,535
# (docs/speed.md). The bits do not change: BLAS splits a product's rows and columns over
# its threads, never a sum.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _start_processes(count: int, source: Source, settings: tuple):
  """A pool of ``count`` started processes, each holding ``source``; they are started here
  (one per task submitted before any is idle) under the one-thread environment."""
  pool = concurrent.futures.ProcessPoolExecutor(
      count, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
      initargs=(source, settings))
  saved = {k: os.environ.get(k) for k in ONE_THREAD}
  os.environ.update(ONE_THREAD)
  try:
    started = [pool.submit(os.getpid) for _ in range(count)]
  finally:
    for k, v in saved.items():
      if v is None:
        os.environ.pop(k, None)
      else:
        os.environ[k] = v
  for f in started:
    f.result()  # a process that cannot start (a source that cannot be sent) fails here
  return pool


class Decoder:
  """``decoder(idx)`` -> float32 (n, S, S, C) in [-1, 1] and labels of dataset indices ``idx``;
  ``submit(idx)`` starts the work and ``result(handle)`` waits for it, so a caller can keep
  the workers busy with the next batch while it uses this one."""

  def __init__(self, source: Source, image_size: int, resize: str, crop: int = 0,
               fit: str = "crop", threads: int = 1, processes: int = 0):
    if int(processes) < 0 or int(threads) < 0:
      raise ConfigError(f"data.decode_processes ({processes}) and data.decode_threads "
                        f"({threads}) must be >= 0.")
    self.source, self.settings = source, (image_size, resize, crop, fit)
    self.processes = int(processes)
    self.workers = self.processes or max(1, int(threads))
    if self.processes:
      with self._died():
        self.pool = _start_processes(self.processes, source, self.settings)
    else:
      self.pool = (concurrent.futures.ThreadPoolExecutor(self.workers)
                   if self.workers > 1 else None)

  def _parts(self, idx: np.ndarray):
    idx = np.asarray(idx, np.int64)
    if self.source.shape is None and not self.processes:
      return [idx[i:i + 1] for i in range(len(idx))]  # threads: one image per task
    return [p for p in np.array_split(idx, min(self.workers, max(1, len(idx)))) if len(p)]

  def submit(self, idx: np.ndarray):
    parts = self._parts(idx)
    if self.pool is None:
      return [_part(self.source, self.settings, p) for p in parts]
    if self.processes:
      with self._died():
        return [self.pool.submit(_worker_part, p) for p in parts]
    return [self.pool.submit(_part, self.source, self.settings, p) for p in parts]

  @contextlib.contextmanager
  def _died(self):
    try:
      yield
    except BrokenProcessPool as e:
      raise GanJaxError(
          f"A decoding process died ({e}); most often the machine ran out of memory: lower "
          f"data.decode_processes (now {self.processes}) or set it to 0 to decode in "
          "threads.") from None

  def result(self, handle):
    with self._died():
      parts = [h.result() if isinstance(h, concurrent.futures.Future) else h for h in handle]
    if not parts:
      return (np.zeros((0,) + (self.settings[0],) * 2 + (self.source.channels,), np.float32),
              np.zeros((0,) + self.source.label_shape, self.source.label_dtype))
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    if self.source.shape is not None:
      x = preprocess(x, *self.settings)
    return x, y

  def __call__(self, idx: np.ndarray):
    return self.result(self.submit(idx))

  def close(self):
    if self.pool is not None:
      self.pool.shutdown(wait=bool(self.processes), cancel_futures=True)
      self.pool = None
