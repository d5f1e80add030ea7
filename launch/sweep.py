"""Runs a grid of config overrides one after another, one workdir per point.

The DCGAN-vs-MLP MNIST study's grid (latent x hidden, G hidden tied to D hidden):

  python launch/sweep.py --config=configs/dcgan_mnist.py \\
      --param=model.latent_dim=16,64,100 --param=model.g_hidden,model.d_hidden=16,64,100

Names joined by a comma take the same value.  Each point's workdir is
``runs/<config>/`` followed by every overridden field and its value (the grid's and the
``--config.*`` overrides after ``--``), so two sweeps that differ in any field never share a
workdir; a finished point is skipped (its checkpoint is at num_train_steps) and an
interrupted one resumes.
``--dry_run`` prints the commands.  Extra arguments after ``--`` go to every run.
"""

import argparse
import itertools
import os
import shlex
import subprocess
import sys


def workdir_name(overrides: list[tuple[str, str]]) -> str:
  """``latent_dim16_g_hidden64_d_hidden64`` from [("model.latent_dim", "16"), ...]: the last
  part of each key (the whole key where two last parts coincide) and its value."""
  lasts = [k.split(".")[-1] for k, _ in overrides]
  parts = []
  for (key, value), last in zip(overrides, lasts):
    short = key if lasts.count(last) > 1 else last
    numeric = value[:1].isdigit() or (value[:1] == "-" and value[1:2].isdigit())
    parts.append(f"{short}{value}" if numeric else f"{short}_{value}")
  return "_".join(parts).replace("/", "_") or "base"


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--config", required=True)
  p.add_argument("--param", action="append", default=[], help="keys=v1,v2,...")
  p.add_argument("--root", default=None, help="default: runs/<config name>")
  p.add_argument("--dry_run", action="store_true")
  p.add_argument("extra", nargs=argparse.REMAINDER)
  a = p.parse_args()
  axes = []
  for spec in a.param:
    keys, _, values = spec.rpartition("=")
    if not keys:
      sys.exit(f"--param needs keys=v1,v2,...: {spec!r}")
    axes.append((keys.split(","), values.split(",")))
  root = a.root or os.path.join("runs", os.path.splitext(os.path.basename(a.config))[0])
  extra = [x for x in a.extra if x != "--"]
  fixed = [(k.split("=", 1)[0][len("--config."):], k.split("=", 1)[1])
           for k in extra if k.startswith("--config.") and "=" in k]
  for point in itertools.product(*[v for _, v in axes]):
    name = workdir_name([(k, v) for (keys, _), v in zip(axes, point) for k in keys] + fixed)
    cmd = [sys.executable, "-m", "gan_jax.main", f"--config={a.config}",
           f"--workdir={os.path.join(root, name)}", *extra]
    cmd += [f"--config.{k}={v}" for (keys, _), v in zip(axes, point) for k in keys]
    print(shlex.join(cmd), flush=True)
    if not a.dry_run:
      r = subprocess.run(cmd)
      if r.returncode:
        sys.exit(r.returncode)


if __name__ == "__main__":
  main()
