"""A prepared TFDS dataset (array_record files) read by index without TensorFlow or TFDS.

TFDS writes a dataset as ``<data_dir>/<name>[/<config>]/<version>/``: ``dataset_info.json``
(splits, shard lengths, file format), ``features.json`` and one array_record file per shard,
each record a serialized ``tf.train.Example``. Training, evaluation, sampling and the FID
command read those files here: ``array_record`` gives the records by index, a few lines of
protobuf wire format decode the Example (its classes ship only with TensorFlow), Pillow
decodes the encoded images. TensorFlow and TFDS only prepare (``load.py``).
"""

import io
import json
import os

import numpy as np

from gan_jax.data.source import Source, UnreadableImageError
from gan_jax.utils.errors import GanJaxError

INFO = "dataset_info.json"


def version_key(v: str):
  return tuple(int(p) if p.isdigit() else 0 for p in v.split("."))


def find(data_dir: str, name: str) -> str | None:
  """The newest prepared array_record version folder of ``name`` (``mnist``,
  ``shapes/default``) under ``data_dir``, or None."""
  root = os.path.join(data_dir, *name.split("/"))
  if not data_dir or not os.path.isdir(root):
    return None
  found = []
  for v in os.listdir(root):
    info = os.path.join(root, v, INFO)
    if os.path.exists(info):
      try:
        with open(info) as f:
          fmt = str(json.load(f).get("fileFormat", ""))
      except (OSError, ValueError):
        continue
      if fmt.lower().endswith("array_record"):
        found.append(v)
  return os.path.join(root, max(found, key=version_key)) if found else None


# ---- tf.train.Example, from its wire format ------------------------------------------------

def _varint(buf: bytes, pos: int) -> tuple[int, int]:
  result = shift = 0
  while True:
    b = buf[pos]
    pos += 1
    result |= (b & 0x7F) << shift
    if b < 0x80:
      return result, pos
    shift += 7


def _fields(buf: bytes):
  """(field number, wire type, value) of a message: ints for varints, bytes otherwise."""
  pos, end = 0, len(buf)
  while pos < end:
    key, pos = _varint(buf, pos)
    num, wire = key >> 3, key & 7
    if wire == 0:
      value, pos = _varint(buf, pos)
    elif wire == 2:
      n, pos = _varint(buf, pos)
      value, pos = buf[pos:pos + n], pos + n
    elif wire == 5:
      value, pos = buf[pos:pos + 4], pos + 4
    elif wire == 1:
      value, pos = buf[pos:pos + 8], pos + 8
    else:
      raise ValueError(f"unsupported protobuf wire type {wire}")
    yield num, wire, value


def _feature(buf: bytes):
  """A ``tf.train.Feature``: list of bytes, float32 array or int64 array."""
  for kind, _, payload in _fields(buf):
    if kind == 1:  # BytesList
      return [v for _, _, v in _fields(payload)]
    if kind == 2:  # FloatList: packed (wire 2) or not (wire 5)
      parts = [np.frombuffer(v, "<f4") for _, _, v in _fields(payload)]
      return np.concatenate(parts) if parts else np.zeros(0, np.float32)
    if kind == 3:  # Int64List: packed varints (wire 2) or single varints (wire 0)
      out = []
      for _, wire, v in _fields(payload):
        if wire == 0:
          out.append(v)
        else:
          p = 0
          while p < len(v):
            x, p = _varint(v, p)
            out.append(x)
      return np.asarray([x - (1 << 64) if x >= 1 << 63 else x for x in out], np.int64)
  return []


def parse_example(record: bytes) -> dict:
  """A serialized ``tf.train.Example`` -> {feature name: bytes list or numpy array}."""
  out = {}
  for num, _, features in _fields(record):
    if num != 1:
      continue
    for fnum, _, entry in _fields(features):
      if fnum != 1:
        continue
      key, value = None, b""
      for enum, _, v in _fields(entry):
        if enum == 1:
          key = v.decode()
        elif enum == 2:
          value = v
      out[key] = _feature(value)
  return out


# ---- the split, by index -----------------------------------------------------------------------

def decode_image(data: bytes, shape, what: str) -> np.ndarray:
  from PIL import Image
  try:
    with Image.open(io.BytesIO(data)) as im:
      a = np.asarray(im)
  except Exception as e:
    raise UnreadableImageError(f"{what}: the stored image cannot be decoded "
                               f"({type(e).__name__}: {e})") from None
  if a.ndim == 2:
    a = a[..., None]
  channels = shape[-1] if shape else a.shape[-1]
  if a.shape[-1] != channels:
    raise UnreadableImageError(f"{what}: a {a.shape[-1]}-channel image where the dataset "
                               f"has {channels}; prepare it again")
  return a.astype(np.uint8)


class RecordSource(Source):
  """One split of a prepared dataset folder (``find``), read by index."""

  def __init__(self, folder: str, split: str, spec, description: str):
    from array_record.python.array_record_data_source import ArrayRecordDataSource
    with open(os.path.join(folder, INFO)) as f:
      info = json.load(f)
    with open(os.path.join(folder, "features.json")) as f:
      feats = json.load(f)["featuresDict"]["features"]
    splits = {s["name"]: s for s in info.get("splits", [])}
    if split not in splits:
      raise GanJaxError(f"{folder} has no split {split!r} (it has {sorted(splits)}).")
    shards = len(splits[split].get("shardLengths", [])) or 1
    paths = [os.path.join(folder, f"{info['name']}-{split}.array_record-{i:05d}-of-{shards:05d}")
             for i in range(shards)]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
      raise GanJaxError(f"The prepared dataset in {folder} lacks {missing[0]}: delete that "
                        "folder to prepare it again.")
    self.ds = ArrayRecordDataSource(paths)
    self.folder, self.split, self.spec = folder, split, spec
    self.description = description
    dims = feats[spec.image_key]["image"]["shape"]["dimensions"]
    shape = tuple(int(d) for d in dims)
    self.shape = shape if min(shape) > 0 else None  # -1: images of mixed sizes
    self.channels = shape[-1]
    self.label_shape = spec.label_shape()

  def __len__(self):
    return len(self.ds)

  def _decode(self, record: bytes, index: int):
    ex = parse_example(record)
    what = f"{self.folder} {self.split}[{index}]"
    image = decode_image(ex[self.spec.image_key][0], self.shape, what)
    if self.spec.label_key is None:
      label = np.zeros(self.label_shape, self.label_dtype)
    else:
      label = np.asarray(ex[self.spec.label_key], self.label_dtype).reshape(self.label_shape)
    return image, label

  def read(self, indices):
    indices = [int(i) for i in indices]
    records = self.ds.__getitems__(indices)
    pairs = [self._decode(r, i) for r, i in zip(records, indices)]
    return (np.stack([p[0] for p in pairs]),
            np.stack([p[1] for p in pairs]) if pairs else np.zeros((0,) + self.label_shape))

  def read_image(self, index):
    return self._decode(self.ds[int(index)], int(index))

  def all_labels(self):
    if self.spec.label_key is None:
      return np.zeros((len(self),) + self.label_shape, self.label_dtype)
    out = np.empty((len(self),) + self.label_shape, self.label_dtype)
    for start in range(0, len(self), 4096):
      records = self.ds.__getitems__(list(range(start, min(start + 4096, len(self)))))
      for i, r in enumerate(records):
        out[start + i] = np.asarray(parse_example(r)[self.spec.label_key],
                                    self.label_dtype).reshape(self.label_shape)
    return out
