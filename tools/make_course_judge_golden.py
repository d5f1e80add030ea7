"""Writes tests/golden/course_judge_golden.npz: torchvision's ResNet-18 with the i-CLEVR
course's head, loaded (strictly) with ``tests/formats.course_judge_state_dict(0)``, run in
evaluation mode on six 64x64 images normalised as the course does. Dev-only: needs torch and
torchvision (e.g. ``pip install torch==2.14.1 torchvision==0.29.1`` in a venv of its own);
``tests/classifiers/course_judge_test.py`` checks gan_jax's torch-free reader against it.

  python tools/make_course_judge_golden.py
"""

import os
import sys

import numpy as np
import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from formats import course_judge_state_dict  # noqa: E402


def main():
  net = torchvision.models.resnet18(weights=None)
  net.fc = torch.nn.Sequential(torch.nn.Linear(512, 24), torch.nn.Sigmoid())
  sd = course_judge_state_dict(0)
  net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in sd.items()}, strict=True)
  net.eval()
  images = np.random.default_rng(1).integers(0, 256, (6, 64, 64, 3)).astype(np.uint8)
  x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
  x = torchvision.transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(x)
  with torch.no_grad():
    out = net(x).numpy()
  path = os.path.join(ROOT, "tests", "golden", "course_judge_golden.npz")
  np.savez_compressed(path, images=images, outputs=out, torch=torch.__version__,
                      torchvision=torchvision.__version__)
  print(f"wrote {path}: outputs {out.shape}, torch {torch.__version__}, torchvision "
        f"{torchvision.__version__}")


if __name__ == "__main__":
  main()
