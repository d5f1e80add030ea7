"""Writes parameters, inputs and gan_jax outputs of both backbones to an .npz.

``benchmarks/torch_reference.py --check=FILE`` loads the same parameters into
the PyTorch modules and compares outputs (dev-only proof that the layers compute
PyTorch's operators):

  python benchmarks/export_case.py --out=/tmp/case.npz
  $TORCH_PYTHON benchmarks/torch_reference.py --check=/tmp/case.npz
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from configs import default  # noqa: E402
from gan_jax import models  # noqa: E402


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--out", required=True)
  p.add_argument("--latent_dim", type=int, default=100)
  p.add_argument("--hidden", type=int, default=100)
  a = p.parse_args()
  jax.config.update("jax_default_matmul_precision", "highest")
  out = {}
  rng = np.random.default_rng(0)
  z = rng.normal(size=(16, a.latent_dim)).astype(np.float32)
  x = rng.uniform(-1, 1, size=(16, 32, 32, 1)).astype(np.float32)
  out["z"], out["x"] = z, x
  for name in ("dcgan", "mlp"):
    cfg = default.get_config().model
    cfg.name, cfg.latent_dim, cfg.g_hidden, cfg.d_hidden = name, a.latent_dim, a.hidden, a.hidden
    g, d = models.build(cfg, channels=1, image_size=32, condition=models.Condition())
    gv = g.init(jax.random.PRNGKey(1), jnp.asarray(z))
    dv = d.init(jax.random.PRNGKey(2), jnp.asarray(x))
    img, _ = g.apply(gv, z, train=True, mutable=["batch_stats"])
    d_out, _ = d.apply(dv, x, train=False, mutable=["batch_stats"]) if name == "mlp" else \
        d.apply(dv, x, train=True, mutable=["batch_stats"])
    out[f"{name}/g_out"], out[f"{name}/d_out"] = np.asarray(img), np.asarray(d_out.logits)
    for net, v in (("g", gv["params"]), ("d", dv["params"])):
      for path, leaf in jax.tree_util.tree_leaves_with_path(v):
        key = "/".join(k.key for k in path)
        out[f"{name}/{net}/{key}"] = np.asarray(leaf)
  np.savez(a.out, **out)
  print(f"wrote {a.out}")


if __name__ == "__main__":
  main()
