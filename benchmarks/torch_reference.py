"""Dev-only reference: the DCGAN-vs-MLP MNIST study's GAN step in PyTorch eager on CPU.

Same architectures as gan_jax.models, same step (D on a real and a fake
batch, then G on the same z), Adam 2e-4 / (0.5, 0.999).  Needs ``torch==2.13.0``
(never a runtime dependency of gan_jax).  Prints one JSON line.

  python benchmarks/torch_reference.py --model=dcgan --latent_dim=100 --hidden=100
"""

import argparse
import contextlib
import json
import math
import time

import torch
from torch import nn


def dcgan(latent, hidden, channels, image_size):
  n = int(math.log2(image_size // 4))
  g = [nn.ConvTranspose2d(latent, hidden * 2 ** (n - 1), 4, 1, 0, bias=False),
       nn.BatchNorm2d(hidden * 2 ** (n - 1)), nn.ReLU(True)]
  for i in range(n - 1, 0, -1):
    g += [nn.ConvTranspose2d(hidden * 2 ** i, hidden * 2 ** (i - 1), 4, 2, 1, bias=False),
          nn.BatchNorm2d(hidden * 2 ** (i - 1)), nn.ReLU(True)]
  g += [nn.ConvTranspose2d(hidden, channels, 4, 2, 1, bias=False), nn.Tanh()]
  d = [nn.Conv2d(channels, hidden, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
  for i in range(1, n):
    d += [nn.Conv2d(hidden * 2 ** (i - 1), hidden * 2 ** i, 4, 2, 1, bias=False),
          nn.BatchNorm2d(hidden * 2 ** i), nn.LeakyReLU(0.2, True)]
  d += [nn.Conv2d(hidden * 2 ** (n - 1), 1, 4, 1, 0, bias=False)]
  return nn.Sequential(nn.Unflatten(1, (latent, 1, 1)), *g), nn.Sequential(*d, nn.Flatten(0))


def mlp(latent, hidden, channels, image_size, dropout=0.2, slope=0.2):
  out = channels * image_size ** 2
  g = nn.Sequential(
      nn.Linear(latent, 4 * hidden), nn.BatchNorm1d(4 * hidden), nn.ReLU(True),
      nn.Linear(4 * hidden, 2 * hidden), nn.BatchNorm1d(2 * hidden), nn.ReLU(True),
      nn.Linear(2 * hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(True),
      nn.Linear(hidden, out), nn.Tanh(), nn.Unflatten(1, (channels, image_size, image_size)))
  d = nn.Sequential(
      nn.Flatten(), nn.Linear(out, hidden), nn.LeakyReLU(slope, True),
      nn.Linear(hidden, 2 * hidden), nn.Dropout(dropout), nn.LeakyReLU(slope, True),
      nn.Linear(2 * hidden, 4 * hidden), nn.Dropout(dropout), nn.LeakyReLU(slope, True),
      nn.Linear(4 * hidden, 1), nn.Flatten(0))
  return g, d


def flax_named_layers(module):
  """``(gan_jax layer name, kind, torch layer)`` of every parameterised layer, in order."""
  kinds = {nn.ConvTranspose2d: "ConvTranspose", nn.Conv2d: "Conv", nn.Linear: "TorchDense",
           nn.BatchNorm2d: "BatchNorm", nn.BatchNorm1d: "BatchNorm"}
  counters = {}
  for layer in module.modules():
    kind = kinds.get(type(layer))
    if kind is None:
      continue
    i = counters.get(kind, 0)
    counters[kind] = i + 1
    yield f"{kind}_{i}", kind, layer


def load_flax_params(module, params, prefix):
  """Copies gan_jax parameters (flax names, HWIO kernels) into a torch Sequential, in order."""
  import numpy as np
  for name, kind, layer in flax_named_layers(module):
    get = lambda n: torch.from_numpy(np.ascontiguousarray(params[f"{prefix}/{name}/{n}"]))  # noqa: E731
    with torch.no_grad():
      if kind == "ConvTranspose":   # (kh, kw, in, out) -> (in, out, kh, kw)
        layer.weight.copy_(get("kernel").permute(2, 3, 0, 1))
      elif kind == "Conv":          # (kh, kw, in, out) -> (out, in, kh, kw)
        layer.weight.copy_(get("kernel").permute(3, 2, 0, 1))
      elif kind == "TorchDense":    # (in, out) -> (out, in)
        layer.weight.copy_(get("kernel").T)
        layer.bias.copy_(get("bias"))
      else:
        layer.weight.copy_(get("scale"))
        layer.bias.copy_(get("bias"))


def check(path, latent, hidden):
  """Same parameters and inputs as gan_jax (export_case.py): compare outputs."""
  import numpy as np
  case = np.load(path)
  z = torch.from_numpy(case["z"])
  x = torch.from_numpy(case["x"]).permute(0, 3, 1, 2).contiguous()
  report = {}
  for name, build in (("dcgan", dcgan), ("mlp", mlp)):
    g, d = build(latent, hidden, 1, 32)
    load_flax_params(g, case, f"{name}/g")
    load_flax_params(d, case, f"{name}/d")
    g.train()
    d.train() if name == "dcgan" else d.eval()  # the MLP D's dropout is random: compare without it
    with torch.no_grad():
      img = g(z).permute(0, 2, 3, 1).numpy()
      logits = d(x).numpy()
    report[f"{name}_g_max_abs_diff"] = float(np.abs(img - case[f"{name}/g_out"]).max())
    report[f"{name}_d_max_abs_diff"] = float(np.abs(logits - case[f"{name}/d_out"]).max())
  print(json.dumps(report))


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--check", default=None, help="an .npz from benchmarks/export_case.py")
  p.add_argument("--model", default="dcgan", choices=["dcgan", "mlp"])
  p.add_argument("--latent_dim", type=int, default=100)
  p.add_argument("--hidden", type=int, default=100)
  p.add_argument("--batch_size", type=int, default=64)
  p.add_argument("--image_size", type=int, default=32)
  p.add_argument("--channels", type=int, default=1)
  p.add_argument("--steps", type=int, default=30)
  p.add_argument("--warmup", type=int, default=3)
  p.add_argument("--threads", type=int, default=0, help="0 = torch's default")
  p.add_argument("--device", default="cpu", help="cpu or cuda")
  p.add_argument("--amp", default="", choices=["", "bfloat16", "float16"],
                 help="autocast G and D to this dtype (float16 with a GradScaler, CUDA only)")
  p.add_argument("--channels_last", action="store_true", help="channels-last memory format")
  a = p.parse_args()
  if a.check:
    return check(a.check, a.latent_dim, a.hidden)
  if a.threads:
    torch.set_num_threads(a.threads)
  torch.manual_seed(0)
  g, d = (dcgan if a.model == "dcgan" else mlp)(a.latent_dim, a.hidden, a.channels, a.image_size)
  dev = torch.device(a.device)
  g, d = g.to(dev), d.to(dev)
  fmt = torch.channels_last if a.channels_last else torch.contiguous_format
  g, d = g.to(memory_format=fmt), d.to(memory_format=fmt)
  autocast = (torch.autocast(dev.type, dtype=getattr(torch, a.amp)) if a.amp
              else contextlib.nullcontext())
  scaler = torch.amp.GradScaler(enabled=a.amp == "float16")
  g_opt = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  d_opt = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  bce = nn.BCEWithLogitsLoss()
  real = torch.rand(a.batch_size, a.channels, a.image_size, a.image_size, device=dev) * 2 - 1
  real = real.contiguous(memory_format=fmt)
  ones = torch.ones(a.batch_size, device=dev)
  zeros = torch.zeros(a.batch_size, device=dev)

  def sync():
    if dev.type == "cuda":
      torch.cuda.synchronize()

  def step():
    z = torch.randn(a.batch_size, a.latent_dim, device=dev)
    with autocast:
      fake = g(z)
      d_loss = bce(d(real).float(), ones) + bce(d(fake.detach()).float(), zeros)
    d_opt.zero_grad()
    scaler.scale(d_loss).backward()
    scaler.step(d_opt)
    with autocast:
      g_loss = bce(d(fake).float(), ones)
    g_opt.zero_grad()
    scaler.scale(g_loss).backward()
    scaler.step(g_opt)
    scaler.update()

  for _ in range(a.warmup):
    step()
  sync()
  t0 = time.perf_counter()
  for _ in range(a.steps):
    step()
  sync()
  dt = time.perf_counter() - t0
  print(json.dumps({
      "impl": "torch_eager", "torch": torch.__version__, "threads": torch.get_num_threads(),
      "device": str(dev), "amp": a.amp or "float32", "channels_last": a.channels_last,
      "model": a.model, "latent_dim": a.latent_dim, "hidden": a.hidden,
      "batch_size": a.batch_size, "image_size": a.image_size, "steps": a.steps,
      "steps_per_sec": round(a.steps / dt, 3),
      "images_per_sec": round(a.steps * a.batch_size / dt, 1)}))


if __name__ == "__main__":
  main()
