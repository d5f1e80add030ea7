"""Images per second the training input pipeline delivers, per source and per decoding core.
Prints one JSON line per (source, cores).

  python benchmarks/input_benchmark.py --cores=1,2

Sources, made here so that nothing is fetched (each as the configs read it):
* ``mnist``: prepared 28x28 grey arrays in memory, padded to 32x32 (``dcgan_mnist``);
* ``celeba_like_jpeg``: a folder of 178x218 RGB JPEGs (quality 95, CelebA's size), the 108 px
  centre crop area-resized to 64x64 (``celeba64``);
* ``iclevr_like_png``: a folder of 320x240 RGB PNGs (i-CLEVR's size), squashed and
  area-resized to 64x64 (``cgan_shapes`` at the report's size).
The images are smooth random fields with fine noise, so that the codecs do about the work
they do on photographs and renders. The process is pinned to ``cores`` CPUs and decodes with
as many threads (``data.decode_threads``); the figure is the reader's alone, through
``data.pipeline.create_train_iterator`` (prefetch thread included), batch 128.
Compare with the step's images/s (``benchmarks/step_benchmark.py``, or a GPU's from
``benchmarks/gpu_benchmark.sh``): the reader needs step / (images/s per core) cores.
"""

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from gan_jax.data import pipeline  # noqa: E402
from gan_jax.data.image_folder import FolderSource  # noqa: E402
from gan_jax.data.source import ArraySource  # noqa: E402

SOURCES = {  # name: (height, width, format, reader settings)
    "mnist": (28, 28, None, dict(image_size=32, resize="pad", crop=0, fit="crop")),
    "celeba_like_jpeg": (218, 178, "JPEG", dict(image_size=64, resize="area", crop=108,
                                                 fit="crop")),
    "iclevr_like_png": (240, 320, "PNG", dict(image_size=64, resize="area", crop=0,
                                              fit="squash")),
}


def fields(rng, n, h, w, c):
  """uint8 images: a smooth random field (bilinear up-sampling of an 8x8 one) plus noise."""
  coarse = rng.uniform(0, 255, (n, 8, 8, c))
  ys, xs = np.linspace(0, 7, h), np.linspace(0, 7, w)
  y0, x0 = np.floor(ys).astype(int).clip(0, 6), np.floor(xs).astype(int).clip(0, 6)
  fy, fx = (ys - y0)[None, :, None, None], (xs - x0)[None, None, :, None]
  a = coarse[:, y0][:, :, x0] * (1 - fy) * (1 - fx) + coarse[:, y0 + 1][:, :, x0] * fy * (1 - fx)
  a += coarse[:, y0][:, :, x0 + 1] * (1 - fy) * fx + coarse[:, y0 + 1][:, :, x0 + 1] * fy * fx
  return np.clip(a + rng.normal(0, 12, a.shape), 0, 255).astype(np.uint8)


def make_source(name, count, folder):
  from PIL import Image
  h, w, fmt, _ = SOURCES[name]
  rng = np.random.default_rng(0)
  if fmt is None:
    return ArraySource(fields(rng, count, h, w, 1), np.zeros(count, np.int32), name)
  os.makedirs(folder, exist_ok=True)
  for i in range(0, count, 64):
    for j, im in enumerate(fields(rng, min(64, count - i), h, w, 3)):
      path = os.path.join(folder, f"{i + j:06d}.{fmt.lower()}")
      Image.fromarray(im).save(path, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
  return FolderSource(folder, channels=3)


def measure(source, settings, cores, batches, batch_size):
  os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))
  it = pipeline.create_train_iterator(
      source, batch_size=batch_size, seed=0, d_steps=1, start_step=0, num_steps=batches + 1,
      threads=cores, **settings)
  next(it)  # the threads started, the first batch read
  t0 = time.perf_counter()
  n = sum(1 for _ in it)
  return n * batch_size / (time.perf_counter() - t0)


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--sources", default=",".join(SOURCES))
  p.add_argument("--cores", default="1", help="comma-separated core counts")
  p.add_argument("--images", type=int, default=1024, help="files written per folder source")
  p.add_argument("--batches", type=int, default=16)
  p.add_argument("--batch_size", type=int, default=128)
  a = p.parse_args()
  available = len(os.sched_getaffinity(0))
  with tempfile.TemporaryDirectory() as tmp:
    for name in a.sources.split(","):
      source = make_source(name, a.images, os.path.join(tmp, name))
      for cores in (int(c) for c in a.cores.split(",")):
        if cores > available:
          continue
        rate = measure(source, SOURCES[name][3], cores, a.batches, a.batch_size)
        print(json.dumps({"source": name, "cores": cores, "threads": cores,
                          "batch_size": a.batch_size,
                          "source_size": list(SOURCES[name][:2]),
                          "image_size": SOURCES[name][3]["image_size"],
                          "images_per_sec": round(rate, 1),
                          "images_per_sec_per_core": round(rate / cores, 1)}), flush=True)
        os.sched_setaffinity(0, set(range(os.cpu_count())))


if __name__ == "__main__":
  main()
