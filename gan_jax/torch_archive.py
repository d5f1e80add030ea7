"""Reads TorchScript and ``torch.save`` zip archives into numpy, without torch.

An archive is a zip: ``<root>/data.pkl`` is a pickle whose tensors point, by
persistent id, at raw little-endian storages ``<root>/data/<key>``.  Scripted
modules unpickle as ``ScriptObject`` instances holding their attributes.  Only
the classes needed for tensors and containers are allowed: nothing in an
archive can run code here.
"""

import collections
import io
import pickle
import zipfile

import numpy as np

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class ArchiveError(ValueError):
  """Not a readable torch archive."""


class ScriptObject:
  """A pickled TorchScript module: ``kind`` is its class, ``attrs`` its attributes."""
  kind = "?"

  def __init__(self, *args):
    self.attrs = {}

  def __setstate__(self, state):
    self.attrs = dict(state) if isinstance(state, dict) else {"state": state}

  def __repr__(self):
    return f"ScriptObject({self.kind})"


def _rebuild_tensor(storage, offset, size, stride, *unused):
  if not size:
    return np.array(storage[offset])
  strides = tuple(s * storage.itemsize for s in stride)
  return np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size), strides=strides).copy()


class _Unpickler(pickle.Unpickler):

  def __init__(self, file, archive: zipfile.ZipFile, root: str):
    super().__init__(file)
    self.archive, self.root = archive, root

  def find_class(self, module, name):
    if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
      return _rebuild_tensor
    if module == "torch" and name in _STORAGE_DTYPES:
      return name
    if module == "torch.jit._pickle" and name.startswith("build_"):
      return lambda x: x  # build_intlist, build_tensorlist, ...: plain lists
    if module == "collections" and name == "OrderedDict":
      return collections.OrderedDict
    if module.startswith("__torch__"):
      return type(name, (ScriptObject,), {"kind": f"{module}.{name}"})
    raise ArchiveError(f"unexpected class {module}.{name} in the archive")

  def persistent_load(self, pid):
    _, storage_type, key, _, numel = pid
    name = storage_type if isinstance(storage_type, str) else getattr(storage_type, "__name__", "")
    if name not in _STORAGE_DTYPES:
      raise ArchiveError(f"unsupported storage type {storage_type!r}")
    raw = self.archive.read(f"{self.root}/data/{key}")
    arr = np.frombuffer(raw, _STORAGE_DTYPES[name])
    if arr.size < numel:
      raise ArchiveError(f"storage {key} is truncated ({arr.size} of {numel} values)")
    return arr


def load(source) -> object:
  """Unpickles the archive at ``source`` (path or bytes) with numpy tensors."""
  try:
    archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    pkls = [n for n in archive.namelist() if n.endswith("/data.pkl")]
    if len(pkls) != 1:
      raise ArchiveError(f"expected one */data.pkl, found {len(pkls)}")
    root = pkls[0][: -len("/data.pkl")]
    return _Unpickler(io.BytesIO(archive.read(pkls[0])), archive, root).load()
  except (zipfile.BadZipFile, KeyError, EOFError, pickle.UnpicklingError) as e:
    raise ArchiveError(f"not a readable torch archive: {type(e).__name__}: {e}") from e
