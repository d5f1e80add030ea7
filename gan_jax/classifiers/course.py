"""The i-CLEVR course's evaluator, where a user has it: torchvision's ResNet-18 with its last
layer a 24-way linear layer and a sigmoid, saved by torch (``torch.save({"model":
state_dict})``, the course's ``checkpoint.pth``), read without torch and run in Flax, so
``evals.conditional_score.judge=<checkpoint.pth>`` gives the report's own number.

The network is torchvision's ``resnet18`` in evaluation mode: a 7x7 stride-2 convolution,
batch norm (eps 1e-5, running statistics), ReLU, a 3x3 stride-2 max pool, four stages of two
basic blocks (64, 128, 256, 512 channels; the first block of stages 2-4 strided, with a 1x1
projection), global average pooling, ``fc.0`` (512 -> 24) and a sigmoid. Its input is the
course's: 64x64 RGB scaled to [-1, 1] (``Normalize((0.5,) * 3, (0.5,) * 3)``); images of
another size are resized to 64 (bilinear) first, which the protocol records.
"""

import functools
import hashlib
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.metrics import torch_archive
from gan_jax.utils.errors import GanJaxError

INPUT_SIZE = 64
STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))
BN_EPS = 1e-5


def _conv(features, k, stride, name):
  p = k // 2
  return nn.Conv(features, (k, k), strides=(stride, stride), padding=((p, p), (p, p)),
                 use_bias=False, name=name)


def _bn(name):
  return nn.BatchNorm(use_running_average=True, epsilon=BN_EPS, name=name)


class BasicBlock(nn.Module):
  features: int
  stride: int

  @nn.compact
  def __call__(self, x):
    h = nn.relu(_bn("bn1")(_conv(self.features, 3, self.stride, "conv1")(x)))
    h = _bn("bn2")(_conv(self.features, 3, 1, "conv2")(h))
    if self.stride != 1 or x.shape[-1] != self.features:
      x = _bn("downsample_1")(_conv(self.features, 1, self.stride, "downsample_0")(x))
    return nn.relu(h + x)


class ResNet18(nn.Module):
  num_classes: int = 24

  @nn.compact
  def __call__(self, x):
    """(N, H, W, 3) in [-1, 1] -> (N, num_classes) sigmoid outputs."""
    x = nn.relu(_bn("bn1")(_conv(64, 7, 2, "conv1")(x)))
    x = nn.max_pool(x, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))
    for i, (features, stride) in enumerate(STAGES, 1):
      x = BasicBlock(features, stride, name=f"layer{i}_0")(x)
      x = BasicBlock(features, 1, name=f"layer{i}_1")(x)
    x = jnp.mean(x, axis=(1, 2))
    return nn.sigmoid(nn.Dense(self.num_classes, name="fc_0")(x))


def variables_from_state_dict(sd: dict) -> dict:
  """torchvision's resnet18 state dict (fc as ``fc.0``) -> Flax variables."""
  params, stats = {}, {}

  def put(tree, path, leaf, value):
    node = tree
    for p in path:
      node = node.setdefault(p, {})
    node[leaf] = jnp.asarray(value, jnp.float32)

  for key, value in sd.items():
    parts = key.split(".")
    if parts[-1] == "num_batches_tracked":
      continue
    if parts[0].startswith("layer"):  # layer1.0.conv1.weight -> layer1_0 / conv1
      path = [f"{parts[0]}_{parts[1]}", "_".join(parts[2:-1])]
    else:  # conv1.weight, bn1.weight, fc.0.weight
      path = ["_".join(parts[:-1])]
    leaf, v = parts[-1], np.asarray(value)
    is_conv = v.ndim == 4
    if leaf == "weight" and is_conv:
      put(params, path, "kernel", v.transpose(2, 3, 1, 0))
    elif leaf == "weight" and path[-1].startswith("fc"):
      put(params, path, "kernel", v.T)
    elif leaf == "weight":
      put(params, path, "scale", v)
    elif leaf == "bias":
      put(params, path, "bias", v)
    elif leaf == "running_mean":
      put(stats, path, "mean", v)
    elif leaf == "running_var":
      put(stats, path, "var", v)
    else:
      raise GanJaxError(f"unexpected entry {key!r} in the ResNet-18 state dict.")
  return {"params": params, "batch_stats": stats}


def _resize(x: np.ndarray) -> np.ndarray:
  if x.shape[1:3] == (INPUT_SIZE, INPUT_SIZE):
    return x
  return np.asarray(jax.image.resize(x, (x.shape[0], INPUT_SIZE, INPUT_SIZE, x.shape[-1]),
                                     "bilinear"))


class CourseJudge:
  """The course's evaluator as a judge: ``logits(uint8 images)`` (the sigmoid outputs, whose
  top-k is the course's) and ``protocol()``."""

  batch_size = 64
  present_above = 0.5  # its outputs are probabilities: an object is seen above one half

  def __init__(self, path: str):
    if not os.path.exists(path):
      raise GanJaxError(f"evals.conditional_score.judge={path!r}: no such file (the course's "
                        "checkpoint.pth, torch.save({'model': resnet18 state dict})).")
    raw = open(path, "rb").read()
    try:
      obj = torch_archive.load(raw)
    except torch_archive.ArchiveError as e:
      raise GanJaxError(f"{path} is not a torch.save file: {e}") from None
    sd = obj.get("model", obj) if isinstance(obj, dict) else None
    if not isinstance(sd, dict) or "fc.0.weight" not in sd:
      raise GanJaxError(f"{path} holds no ResNet-18 with a 'fc.0' linear layer (the course's "
                        "evaluator saves {'model': state_dict} with fc = Sequential(Linear, "
                        "Sigmoid)).")
    num_classes = int(np.asarray(sd["fc.0.weight"]).shape[0])
    self.net = ResNet18(num_classes)
    self.variables = variables_from_state_dict(sd)
    self.info = {"path": os.path.abspath(path), "num_classes": num_classes,
                 "sha256": hashlib.sha256(raw).hexdigest()[:16], "label_kind": "multi_hot"}
    self._apply = jax.jit(functools.partial(self.net.apply))

  def logits(self, images: np.ndarray) -> np.ndarray:
    out = []
    for i in range(0, len(images), self.batch_size):
      x = _resize(np.asarray(images[i:i + self.batch_size], np.float32) / 127.5 - 1.0)
      n = len(x)
      if n < self.batch_size:  # one compiled shape
        x = np.concatenate([x, np.zeros((self.batch_size - n,) + x.shape[1:], x.dtype)])
      out.append(np.asarray(self._apply(self.variables, x))[:n])
    return np.concatenate(out) if out else np.zeros((0, self.info["num_classes"]), np.float32)

  def protocol(self) -> dict:
    return {"judge": "the i-CLEVR course's evaluator: torchvision ResNet-18, fc 512 -> "
                     f"{self.info['num_classes']} + sigmoid, 64x64 input in [-1, 1] (other sizes "
                     "resized bilinearly)", "path": self.info["path"],
            "sha256": self.info["sha256"]}
