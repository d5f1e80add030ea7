"""Writes ``torch.save`` files (zip and legacy formats) of numpy state dicts, without torch.

Test-only: makes pytorch-fid-format Inception weights from the fetched
fid-helper ones, so the reader and the name mapping are exercised in CI without
the (unfetchable offline) release file.  ``tools/check_pytorch_fid.py`` checks
that torch itself reads these files and that pytorch-fid's own network, loaded
from them, gives the reference features.
"""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
_STORAGE = {np.dtype(np.float32): "FloatStorage", np.dtype(np.float64): "DoubleStorage",
            np.dtype(np.int64): "LongStorage"}


class _Global:
  def __init__(self, module, name):
    self.module, self.name = module, name


class _Storage:
  def __init__(self, key, array):
    self.key, self.array = key, array


class _Tensor:
  def __init__(self, storage):
    self.storage = storage


class _Pickler(pickle._Pickler):  # the pure-Python pickler: globals written without importing torch
  dispatch = dict(pickle._Pickler.dispatch)

  def __init__(self, file, legacy):
    super().__init__(file, protocol=2)
    self.legacy = legacy

  def persistent_id(self, obj):
    if isinstance(obj, _Storage):
      pid = ("storage", _Global("torch", _STORAGE[obj.array.dtype]), obj.key, "cpu", obj.array.size)
      return pid + (None,) if self.legacy else pid
    return None

  def _save_global(self, obj):
    self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())

  def _save_tensor(self, obj):
    a = obj.storage.array
    self.save(_Global("torch._utils", "_rebuild_tensor_v2"))
    stride = tuple(s // a.itemsize for s in a.strides)
    self.save((obj.storage, 0, a.shape, stride, False, collections.OrderedDict()))
    self.write(pickle.REDUCE)

  dispatch[_Global] = _save_global
  dispatch[_Tensor] = _save_tensor


def dumps(state_dict: dict, legacy: bool = False, wrap: str = "") -> bytes:
  """``torch.save(state_dict)``'s bytes; with ``wrap``, ``torch.save({wrap: state_dict})``."""
  storages, obj = [], collections.OrderedDict()
  for i, (k, v) in enumerate(state_dict.items()):
    st = _Storage(str(i), np.array(v, order="C"))  # (ascontiguousarray makes 0-d 1-d)
    storages.append(st)
    obj[k] = _Tensor(st)
  if wrap:
    obj = {wrap: obj}
  body = io.BytesIO()
  _Pickler(body, legacy).dump(obj)
  out = io.BytesIO()
  if legacy:
    for header in (LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True,
                                        "type_sizes": {"short": 2, "int": 4, "long": 8}}):
      pickle.dump(header, out, protocol=2)
    out.write(body.getvalue())
    pickle.dump([s.key for s in storages], out, protocol=2)
    for s in storages:
      out.write(struct.pack("<q", s.array.size))
      out.write(s.array.astype(s.array.dtype.newbyteorder("<")).tobytes())
    return out.getvalue()
  with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", body.getvalue())
    z.writestr("archive/byteorder", "little")
    for s in storages:
      z.writestr(f"archive/data/{s.key}", s.array.tobytes())
    z.writestr("archive/version", "3\n")
  return out.getvalue()


def pytorch_fid_state_dict(params: dict, fc_seed: int = 0) -> dict:
  """pytorch-fid-named state dict from folded Flax params (BN gamma 1, mean 0, var 1 - eps)."""
  from gan_jax.metrics import inception, inception_params
  sd = {}
  for path, name in inception_params.pytorch_fid_conv_names().items():
    node = params
    for part in path:
      node = node[part]
    k, b = np.asarray(node["kernel"]), np.asarray(node["bias"])
    co = k.shape[-1]
    sd[f"{name}.conv.weight"] = k.transpose(3, 2, 0, 1).astype(np.float32)
    sd[f"{name}.bn.weight"] = np.ones(co, np.float32)
    sd[f"{name}.bn.bias"] = b.astype(np.float32)
    sd[f"{name}.bn.running_mean"] = np.zeros(co, np.float32)
    sd[f"{name}.bn.running_var"] = np.full(co, 1 - inception.BN_EPS, np.float32)
    sd[f"{name}.bn.num_batches_tracked"] = np.zeros((), np.int64)
  rng = np.random.default_rng(fc_seed)
  sd["fc.weight"] = (rng.normal(size=(inception.NUM_CLASSES, 2048)) * 0.05).astype(np.float32)
  sd["fc.bias"] = rng.normal(size=inception.NUM_CLASSES).astype(np.float32)
  return sd
