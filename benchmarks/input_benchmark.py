"""Images per second the training input pipeline delivers, per source and per decoding core,
with threads or processes. Prints one JSON line per (source, workers, cores).

  python benchmarks/input_benchmark.py --cores=1,2 --modes=threads,processes

Sources, made here so that nothing is fetched, each read as the configs read it:
* ``mnist_records``: 28x28 grey PNGs in an array_record split, as TFDS (or the offline
  preparation) stores MNIST and Fashion-MNIST, padded to 32x32 (``dcgan_mnist``);
* ``celeba_records``: 178x218 RGB JPEGs (quality 95) in an array_record split, as TFDS stores
  CelebA, the 108 px centre crop area-resized to 64x64 (``celeba64``);
* ``celeba_like_jpeg``: the same JPEGs as a folder (``data.name=image_folder``);
* ``iclevr_like_png``: a folder of 320x240 RGB PNGs (i-CLEVR's size), squashed and
  area-resized to 64x64 (``cgan_shapes`` at the report's size).
The images are smooth random fields with fine noise, so that the codecs do about the work
they do on photographs and renders. The process (and its decoding processes) is pinned to
``cores`` CPUs and decodes with as many threads (``data.decode_threads``) or processes
(``data.decode_processes``); the figure is the reader's alone, through
``data.pipeline.create_train_iterator`` (prefetch thread included), batch 128, after the
first batch (the processes' start is left out). Compare with the step's images/s
(``benchmarks/step_benchmark.py``, or a GPU's from ``benchmarks/gpu_benchmark.sh``): the
reader needs step / (images/s per core) cores.
"""

import argparse
import io
import itertools
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
from gan_jax.data.records import RecordSource  # noqa: E402
from gan_jax.data.specs import DATASETS  # noqa: E402

SOURCES = {  # name: (height, width, channels, format, stored as, reader settings)
    "mnist_records": (28, 28, 1, "PNG", "records", dict(image_size=32, resize="pad")),
    "celeba_records": (218, 178, 3, "JPEG", "records", dict(image_size=64, resize="area",
                                                            crop=108, fit="crop")),
    "celeba_like_jpeg": (218, 178, 3, "JPEG", "folder", dict(image_size=64, resize="area",
                                                             crop=108, fit="crop")),
    "iclevr_like_png": (240, 320, 3, "PNG", "folder", dict(image_size=64, resize="area",
                                                           crop=0, fit="squash")),
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


def encoded(image, fmt):
  from PIL import Image
  buf = io.BytesIO()
  Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(
      buf, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
  return buf.getvalue()


def _field(num, payload: bytes) -> bytes:
  """One length-delimited protobuf field (wire type 2)."""
  n, size = bytearray(), len(payload)
  while True:
    n.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
    size >>= 7
    if not size:
      break
  return bytes([num << 3 | 2]) + bytes(n) + payload


def example(image_bytes: bytes, label: int) -> bytes:
  """A serialized tf.train.Example {image: bytes, label: int64}, as TFDS writes one."""
  def entry(key, feature):
    return _field(1, _field(1, key.encode()) + _field(2, feature))
  label_feature = _field(3, _field(1, bytes([label])))  # Int64List, packed, one value < 128
  return _field(1, entry("image", _field(1, _field(1, image_bytes))) + entry("label",
                                                                            label_feature))


def write_records(folder, images, fmt):
  """A one-split prepared dataset folder as ``records.RecordSource`` reads TFDS's."""
  from array_record.python.array_record_module import ArrayRecordWriter
  os.makedirs(folder, exist_ok=True)
  writer = ArrayRecordWriter(os.path.join(folder, "bench-train.array_record-00000-of-00001"),
                             "group_size:1")
  for i, im in enumerate(images):
    writer.write(example(encoded(im, fmt), i % 10))
  writer.close()
  with open(os.path.join(folder, "dataset_info.json"), "w") as f:
    json.dump({"name": "bench", "splits": [{"name": "train",
                                             "shardLengths": [str(len(images))]}]}, f)
  dims = [str(d) for d in images.shape[1:]]
  with open(os.path.join(folder, "features.json"), "w") as f:
    json.dump({"featuresDict": {"features": {"image": {"image": {
        "dtype": "uint8", "shape": {"dimensions": dims}}}, "label": {"classLabel": {
            "numClasses": "10"}}}}}, f)


def make_source(name, count, folder):
  from PIL import Image
  h, w, c, fmt, stored, _ = SOURCES[name]
  images = fields(np.random.default_rng(0), count, h, w, c)
  if stored == "records":
    write_records(folder, images, fmt)
    return RecordSource(folder, "train", DATASETS.get("mnist"), name)
  os.makedirs(folder, exist_ok=True)
  for i, im in enumerate(images):
    path = os.path.join(folder, f"{i:06d}.{fmt.lower()}")
    Image.fromarray(im).save(path, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
  return FolderSource(folder, channels=c)


def measure(source, settings, cores, mode, batches, batch_size):
  os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))
  workers = dict(threads=cores) if mode == "threads" else dict(threads=1, processes=cores)
  it = pipeline.create_train_iterator(
      source, batch_size=batch_size, seed=0, d_steps=1, start_step=0, num_steps=batches + 1,
      **workers, **settings)
  next(it)  # the workers started, the first batch read
  t0 = time.perf_counter()
  n = sum(1 for _ in it)
  return n * batch_size / (time.perf_counter() - t0)


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--sources", default=",".join(SOURCES))
  p.add_argument("--cores", default="1", help="comma-separated core counts")
  p.add_argument("--modes", default="threads", help="threads and/or processes")
  p.add_argument("--images", type=int, default=1024, help="images written per source")
  p.add_argument("--batches", type=int, default=16)
  p.add_argument("--batch_size", type=int, default=128)
  a = p.parse_args()
  available = len(os.sched_getaffinity(0))
  with tempfile.TemporaryDirectory() as tmp:
    for name in a.sources.split(","):
      try:
        source = make_source(name, a.images, os.path.join(tmp, name))
      except ImportError as e:  # array_record, where only the folder path is installed
        print(json.dumps({"source": name, "skipped": str(e)}), flush=True)
        continue
      for mode, cores in itertools.product(a.modes.split(","),
                                           (int(c) for c in a.cores.split(","))):
        if cores > available:
          continue
        rate = measure(source, SOURCES[name][-1], cores, mode, a.batches, a.batch_size)
        print(json.dumps({"source": name, "cores": cores, "workers": mode,
                          "batch_size": a.batch_size, "stored": SOURCES[name][4],
                          "source_size": list(SOURCES[name][:2]),
                          "image_size": SOURCES[name][-1]["image_size"],
                          "images_per_sec": round(rate, 1),
                          "images_per_sec_per_core": round(rate / cores, 1)}), flush=True)
        os.sched_setaffinity(0, set(range(os.cpu_count())))


if __name__ == "__main__":
  main()
