"""Reads TorchScript and ``torch.save`` archives into numpy, without torch.

Two formats.  Zip (TorchScript, and ``torch.save`` since torch 1.6):
``<root>/data.pkl`` is a pickle whose tensors point, by persistent id, at raw
little-endian storages ``<root>/data/<key>``.  Legacy ``torch.save`` (before
1.6, e.g. pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth``): a stream of
pickles (magic number, protocol, system info, the object, the sorted storage
keys) followed by each storage as an int64 element count and its raw bytes.
Scripted modules unpickle as ``ScriptObject`` instances holding their
attributes.  Only the classes needed for tensors and containers are allowed:
nothing in an archive can run code here.
"""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


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


class _LazyStorage:
  """A legacy-format storage whose bytes come after the pickled object."""

  def __init__(self, key, dtype, numel):
    self.key, self.dtype, self.numel, self.view = key, dtype, numel, None


class _LazyTensor:

  def __init__(self, storage, offset, size, stride):
    self.storage, self.args = storage, (offset, size, stride)


def _resolve(obj, storages):
  if isinstance(obj, _LazyTensor):
    st = obj.storage
    arr = storages[st.key]
    if st.view is not None:
      arr = arr[st.view[0]:st.view[0] + st.view[1]]
    return _rebuild_tensor(arr, *obj.args)
  if isinstance(obj, dict):
    for k in list(obj):
      obj[k] = _resolve(obj[k], storages)
    return obj
  if isinstance(obj, (list, tuple)):
    items = [_resolve(v, storages) for v in obj]
    return items if isinstance(obj, list) else tuple(items)
  if isinstance(obj, ScriptObject):
    _resolve(obj.attrs, storages)
  return obj


def _rebuild_any(storage, offset, size, stride, *unused):
  if isinstance(storage, _LazyStorage):
    return _LazyTensor(storage, offset, size, stride)
  return _rebuild_tensor(storage, offset, size, stride)


class _Unpickler(pickle.Unpickler):

  def __init__(self, file, archive: zipfile.ZipFile | None, root: str = ""):
    super().__init__(file)
    self.archive, self.root = archive, root
    self.lazy = {}

  def find_class(self, module, name):
    if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
      return _rebuild_any
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
    if not isinstance(pid, tuple) or len(pid) not in (5, 6) or pid[0] != "storage":
      raise ArchiveError(f"unexpected persistent id {str(pid)[:80]}")
    _, storage_type, key, _, numel = pid[:5]
    name = storage_type if isinstance(storage_type, str) else getattr(storage_type, "__name__", "")
    if name not in _STORAGE_DTYPES:
      raise ArchiveError(f"unsupported storage type {storage_type!r}")
    if self.archive is None:  # legacy: the bytes follow the object
      root = self.lazy.setdefault(key, _LazyStorage(key, _STORAGE_DTYPES[name], numel))
      view = pid[5] if len(pid) == 6 else None
      if view is None:
        return root
      view_key, offset, view_size = view
      st = _LazyStorage(key, root.dtype, view_size)
      st.view = (offset, view_size)
      return st
    raw = self.archive.read(f"{self.root}/data/{key}")
    arr = np.frombuffer(raw, _STORAGE_DTYPES[name])
    if arr.size < numel:
      raise ArchiveError(f"storage {key} is truncated ({arr.size} of {numel} values)")
    return arr


def _load_legacy(f) -> object:
  def next_pickle():
    return _Unpickler(f, None).load()  # restricted, as every pickle here

  if next_pickle() != LEGACY_MAGIC:
    raise ArchiveError("neither a zip archive nor a legacy torch.save file (wrong magic number)")
  next_pickle()  # protocol version
  sys_info = next_pickle()
  if not (isinstance(sys_info, dict) and sys_info.get("little_endian", True)):
    raise ArchiveError("big-endian legacy torch.save files are not supported")
  unpickler = _Unpickler(f, None)
  obj = unpickler.load()
  keys = next_pickle()
  storages = {}
  for key in keys:
    st = unpickler.lazy.get(key)
    (numel,) = struct.unpack("<q", f.read(8))
    itemsize = np.dtype(st.dtype).itemsize if st else 1
    raw = f.read(numel * itemsize)
    if len(raw) != numel * itemsize:
      raise ArchiveError(f"storage {key} is truncated ({len(raw) // itemsize} of {numel} values)")
    if st is not None:
      storages[key] = np.frombuffer(raw, st.dtype)
  missing = set(unpickler.lazy) - set(storages)
  if missing:
    raise ArchiveError(f"storages {sorted(missing)[:3]} are missing from the file")
  return _resolve(obj, storages)


def load(source) -> object:
  """Unpickles the archive at ``source`` (path or bytes) with numpy tensors."""
  raw = source if isinstance(source, bytes) else open(source, "rb").read()
  try:
    if not zipfile.is_zipfile(io.BytesIO(raw)):
      return _load_legacy(io.BytesIO(raw))
    archive = zipfile.ZipFile(io.BytesIO(raw))
    pkls = [n for n in archive.namelist() if n.endswith("/data.pkl")]
    if len(pkls) != 1:
      raise ArchiveError(f"expected one */data.pkl, found {len(pkls)}")
    root = pkls[0][: -len("/data.pkl")]
    return _Unpickler(io.BytesIO(archive.read(pkls[0])), archive, root).load()
  except (zipfile.BadZipFile, KeyError, EOFError, pickle.UnpicklingError, struct.error,
          ValueError, TypeError) as e:
    if isinstance(e, ArchiveError):
      raise
    raise ArchiveError(f"not a readable torch archive: {type(e).__name__}: {e}") from e
