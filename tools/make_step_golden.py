"""Dev-only: golden values of one full training step (D update, then G update) computed by
PyTorch, for ``tests/training/step_reference_test.py``.

  # 1. gan_jax's environment: the inputs (parameters, the step's noise, a real batch)
  python tools/make_step_golden.py export /tmp/step_case.npz
  # 2. an environment with torch==2.13.0: the DCGAN tutorial's step on those inputs
  $TORCH_PYTHON tools/make_step_golden.py torch /tmp/step_case.npz tests/golden/step_golden.npz

The PyTorch step is the reference loop of the DCGAN-vs-MLP MNIST study (PyTorch's DCGAN
tutorial): D on a real batch (target 1) and on G(z).detach() (target 0), BCE summed, one
optimizer step; then D(G(z)) through the UPDATED D gives D_G_z2 and G's loss (target 1), one
optimizer step for G. Plain SGD, so parameter changes are -lr x the gradients. The golden
file holds the inputs and PyTorch's outputs: losses, D_x, D_G_z1, D_G_z2, new parameters,
batch-norm running means.
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LR = 0.1
CASES = {  # the two backbones of the study; the MLP's D without dropout (its first report's)
    "dcgan": dict(name="dcgan", latent=8, hidden=8),
    "mlp": dict(name="mlp", latent=8, hidden=8),
}
BATCH, SIZE = 16, 32


def case_config(name, latent, hidden):
  sys.path.insert(0, ROOT)
  from configs import test
  c = test.get_config()
  c.model.name, c.model.latent_dim, c.model.g_hidden, c.model.d_hidden = name, latent, hidden, hidden
  c.model.mlp.d_dropout, c.model.mlp.d_slope = 0.0, 0.01
  c.data.batch_size = BATCH
  for opt in (c.g_optimizer, c.d_optimizer):
    opt.name, opt.lr = "sgd", LR
  return c


def export(out):
  sys.path.insert(0, ROOT)
  import jax

  from gan_jax.training.build import Experiment
  from gan_jax.utils import parallel
  jax.config.update("jax_default_matmul_precision", "highest")
  arrays = {}
  rng = np.random.default_rng(0)
  for key, spec in CASES.items():
    exp = Experiment(case_config(**spec), parallel.make_mesh(1))
    state = jax.device_get(exp.init_state())
    z_key, _ = jax.random.split(jax.random.fold_in(state.rng, state.step))
    z, _ = exp.sampler.draw(jax.random.fold_in(z_key, 0), BATCH)
    arrays[f"{key}/rng"] = np.asarray(state.rng)
    arrays[f"{key}/z"] = np.asarray(z)
    arrays[f"{key}/real"] = rng.uniform(-1, 1, (BATCH, SIZE, SIZE, 1)).astype(np.float32)
    for net, tree in (("g", state.g_params), ("d", state.d_params)):
      for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        arrays[f"{key}/{net}/" + "/".join(k.key for k in path)] = np.asarray(leaf)
  np.savez(out, **arrays)
  print(f"wrote {out}")


def torch_step(case_path, out):
  import torch
  sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
  import torch_reference as ref
  torch.set_default_dtype(torch.float32)
  case = dict(np.load(case_path))
  golden = dict(case)
  for key, spec in CASES.items():
    build = ref.dcgan if spec["name"] == "dcgan" else (
        lambda l, h, c, s: ref.mlp(l, h, c, s, dropout=0.0, slope=0.01))
    g, d = build(spec["latent"], spec["hidden"], 1, SIZE)
    ref.load_flax_params(g, case, f"{key}/g")
    ref.load_flax_params(d, case, f"{key}/d")
    g.train(), d.train()
    g_opt = torch.optim.SGD(g.parameters(), LR)
    d_opt = torch.optim.SGD(d.parameters(), LR)
    bce = torch.nn.BCEWithLogitsLoss()
    z = torch.from_numpy(case[f"{key}/z"])
    real = torch.from_numpy(case[f"{key}/real"]).permute(0, 3, 1, 2).contiguous()
    ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)
    fake = g(z)
    d_opt.zero_grad()
    out_real = d(real)
    out_fake = d(fake.detach())
    err_real, err_fake = bce(out_real, ones), bce(out_fake, zeros)
    err_d = err_real + err_fake
    err_d.backward()
    d_opt.step()
    g_opt.zero_grad()
    out_updated = d(fake)  # through the updated D
    err_g = bce(out_updated, ones)
    err_g.backward()
    g_opt.step()
    golden.update({
        f"{key}/out/d_loss": err_d.item(), f"{key}/out/d_loss_real": err_real.item(),
        f"{key}/out/d_loss_fake": err_fake.item(), f"{key}/out/g_loss": err_g.item(),
        f"{key}/out/D_x": torch.sigmoid(out_real).mean().item(),
        f"{key}/out/D_G_z1": torch.sigmoid(out_fake).mean().item(),
        f"{key}/out/D_G_z2": torch.sigmoid(out_updated).mean().item()})
    for net, module in (("g", g), ("d", d)):
      for name, value in _flax_named(module, net).items():
        golden[f"{key}/out/{name}"] = value
  np.savez_compressed(out, **golden)
  print(f"wrote {out}")


def _flax_named(module, net):
  """torch parameters and running means under gan_jax's names and layouts."""
  import torch
  import torch_reference as ref
  out = {}
  for name, kind, layer in ref.flax_named_layers(module):
    p = f"{net}/{name}"
    with torch.no_grad():
      if kind == "ConvTranspose":
        out[f"{p}/kernel"] = layer.weight.permute(2, 3, 0, 1).numpy().copy()
      elif kind == "Conv":
        out[f"{p}/kernel"] = layer.weight.permute(2, 3, 1, 0).numpy().copy()
      elif kind == "TorchDense":
        out[f"{p}/kernel"] = layer.weight.T.numpy().copy()
        out[f"{p}/bias"] = layer.bias.numpy().copy()
      else:
        out[f"{p}/scale"] = layer.weight.numpy().copy()
        out[f"{p}/bias"] = layer.bias.numpy().copy()
        out[f"{p}/running_mean"] = layer.running_mean.numpy().copy()
  return out


if __name__ == "__main__":
  if sys.argv[1] == "export":
    export(sys.argv[2])
  else:
    torch_step(sys.argv[2], sys.argv[3])
