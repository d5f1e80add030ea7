"""TensorBoard event files written without TensorFlow.

The summaries are the ones ``tf.summary`` writes (scalars as float32 tensors with the scalars
plugin's metadata, images as [width, height, PNG...] string tensors with the images plugin's,
hyper-parameters as the hparams plugin's session start), built with TensorBoard's own proto
helpers and appended by its ``EventFileWriter`` (a background thread: a write never waits on
the disk). TensorBoard reads them as it reads TensorFlow's; clu's writers import TensorFlow.
"""

import io
import time

import numpy as np


def _png(image: np.ndarray) -> bytes:
  from PIL import Image
  buf = io.BytesIO()
  Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buf, format="PNG")
  return buf.getvalue()


def _uint8(images: np.ndarray) -> np.ndarray:
  """(N, H, W, C) uint8 as given; floats are taken as [0, 1], as tf.summary.image does."""
  a = np.asarray(images)
  if a.dtype == np.uint8:
    return a
  return np.clip(np.round(a.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)


def _hparam_value(v):
  if isinstance(v, (bool, int, float, str)):
    return v
  if isinstance(v, np.generic):
    return v.item()
  return str(v)


def _tensorboard_without_tensorflow():
  """TensorBoard's file layer (``tensorboard.compat.tf``) imports TensorFlow where it is
  installed (1.6 s of every start on the 2-core CPU), unless ``tensorboard.compat.notf`` is
  importable: TensorBoard's own switch to its TensorFlow-free stub, whose gfile writes the
  same event files. Set before TensorBoard first resolves it."""
  import sys
  import types
  sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))


class EventWriter:
  """``write_scalars``, ``write_images``, ``write_hparams``, ``flush``, ``close`` into
  ``logdir``'s event file."""

  def __init__(self, logdir: str):
    _tensorboard_without_tensorflow()
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    self._writer = EventFileWriter(logdir)

  def _add(self, step: int, summary) -> None:
    from tensorboard.compat.proto import event_pb2
    self._writer.add_event(event_pb2.Event(step=int(step), wall_time=time.time(),
                                           summary=summary))

  def write_scalars(self, step: int, scalars) -> None:
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.scalar import summary_v2 as scalar
    summary = summary_pb2.Summary()
    for tag, value in scalars.items():
      summary.value.extend(scalar.scalar_pb(tag, float(np.asarray(value))).value)
    self._add(step, summary)

  def write_images(self, step: int, images) -> None:
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.image import metadata
    from tensorboard.util import tensor_util
    summary = summary_pb2.Summary()
    for tag, value in images.items():
      batch = _uint8(value if np.ndim(value) == 4 else np.asarray(value)[None])
      h, w = batch.shape[1:3]
      tensor = tensor_util.make_tensor_proto(
          [str(w).encode(), str(h).encode()] + [_png(im) for im in batch], dtype=np.object_)
      summary.value.add(tag=tag, tensor=tensor,
                        metadata=metadata.create_summary_metadata(display_name=tag,
                                                                  description=""))
    self._add(step, summary)

  def write_hparams(self, hparams) -> None:
    from tensorboard.plugins.hparams import summary_v2 as hp
    self._add(0, hp.hparams_pb({k: _hparam_value(v) for k, v in hparams.items()}))

  def flush(self) -> None:
    self._writer.flush()

  def close(self) -> None:
    self._writer.close()


class NullWriter:
  """The writer of processes other than 0: writes nothing."""

  def write_scalars(self, step, scalars):
    pass

  def write_images(self, step, images):
    pass

  def write_hparams(self, hparams):
    pass

  def flush(self):
    pass

  def close(self):
    pass


def read_scalars(logdir: str) -> dict:
  """``{tag: (steps, values)}`` of every scalar in ``logdir``'s event files (``tf.summary``'s
  tensors and the older simple values alike); images and text are left out."""
  from tensorboard.backend.event_processing import event_accumulator
  from tensorboard.util import tensor_util
  acc = event_accumulator.EventAccumulator(logdir,
                                           size_guidance={"tensors": 0, "scalars": 0})
  acc.Reload()
  out = {}
  tags = acc.Tags()
  for tag in tags.get("tensors", []):
    vals = []
    for e in acc.Tensors(tag):
      v = tensor_util.make_ndarray(e.tensor_proto)
      if v.ndim or v.dtype.kind != "f":  # images and text are not curves
        break
      vals.append((e.step, float(v)))
    else:
      if vals:
        steps, values = zip(*sorted(vals))
        out[tag] = (np.asarray(steps), np.asarray(values, np.float64))
  for tag in tags.get("scalars", []):
    events = acc.Scalars(tag)
    out[tag] = (np.asarray([e.step for e in events]), np.asarray([e.value for e in events]))
  return out
