"""The first steps of every config and preset, as digests: that a change of the code's layout
changed nothing a run computes. Run it in two checkouts and compare the lines.

  python tools/first_steps.py [--repo=DIR] [--steps=3] [configs/x.py ...] > after.jsonl
  python tools/first_steps.py --repo=/path/to/older/checkout > before.jsonl
  diff before.jsonl after.jsonl

For each config (every file of ``configs/`` by default) and each of its presets (read from
the error a config gives for an unknown preset), ``python -m gan_jax.main`` runs ``--steps``
steps in a fresh folder with every evaluation off and a checkpoint at the last step; the line
is the config, the sha256 of every array of that checkpoint's training state (in the order of
their paths) and the losses the terminal logged. A config whose data this machine lacks
(CelebA) prints its one-line error instead, in both checkouts alike; ``--extra`` flags run it
on data this machine has (``launch/experiments.py``'s ``FASHION64`` for the CelebA study).
"""

import argparse
import glob
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

from gan_jax.utils.xla_flags import with_host_devices

EVALS_OFF = ["fid", "intra_fid", "conditional_score", "class_accuracy", "class_histogram",
             "classifier_fid", "condition_diversity", "wasserstein"]


def presets(repo: str, path: str) -> list[str]:
  """'' and every preset the config file names in its error for an unknown one."""
  sys.path.insert(0, repo)
  try:
    spec = importlib.util.spec_from_file_location("_config", os.path.join(repo, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
      module.get_config("__no_such_preset__")
    except TypeError:  # takes no preset
      return [""]
    except ValueError as e:
      known = re.search(r"known: ([\w, ]+)", str(e))
      return [""] + ([p.strip() for p in known.group(1).split(",")] if known else [])
    return [""]
  finally:
    sys.path.remove(repo)


def digest(checkpoint: str) -> str:
  import jax
  import numpy as np
  import orbax.checkpoint as ocp
  tree = ocp.PyTreeCheckpointer().restore(os.path.join(checkpoint, "state"))
  h = hashlib.sha256()
  for path, leaf in sorted(jax.tree_util.tree_leaves_with_path(tree),
                           key=lambda kv: jax.tree_util.keystr(kv[0])):
    a = np.asarray(leaf)
    h.update(jax.tree_util.keystr(path).encode() + str(a.dtype).encode() + a.tobytes())
  return h.hexdigest()[:16]


def first_steps(repo: str, config: str, steps: int, extra=()) -> dict:
  with tempfile.TemporaryDirectory() as workdir:
    cmd = [sys.executable, "-m", "gan_jax.main", f"--config={config}", f"--workdir={workdir}",
           f"--config.num_train_steps={steps}", "--config.log_every=1",
           f"--config.checkpoint_every={steps}", f"--config.sample_every={steps}"]
    cmd += [f"--config.evals.{e}.{f}={v}" for e in EVALS_OFF for f, v in (("final", False),
                                                                          ("every", 0))]
    cmd += list(extra)
    # one device; the caller's other XLA flags pass through (e.g. to compare compiler settings)
    env = dict(os.environ, PYTHONPATH=repo, XLA_FLAGS=with_host_devices(1))
    r = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    if r.returncode:
      last = [line for line in r.stderr.splitlines() if line.strip()][-1:]
      return {"config": config, "error": (last[0] if last else "")[:200]}
    losses = re.findall(r"step (\d+)/\d+ .*?d_loss ([-\d.e+]+) g_loss ([-\d.e+]+)", r.stderr)
    return {"config": config, "state": digest(os.path.join(workdir, "checkpoints", str(steps))),
            "losses": [list(x) for x in losses]}


def main():
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("configs", nargs="*", help="config files (default: every one of configs/)")
  p.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  p.add_argument("--steps", type=int, default=3)
  p.add_argument("--extra", action="append", default=[],
                 help="a flag added to every command, e.g. --extra=--config.data.name=fashion_mnist "
                      "to run the CelebA configs where CelebA is not prepared")
  a = p.parse_args()
  repo = os.path.abspath(a.repo)
  files = a.configs or sorted(os.path.relpath(f, repo) for f in
                              glob.glob(os.path.join(repo, "configs", "*.py"))
                              if os.path.basename(f) not in ("__init__.py", "default.py"))
  for path in files:
    for preset in presets(repo, path):
      config = f"{path}:{preset}" if preset else path
      print(json.dumps(first_steps(repo, config, a.steps, a.extra)), flush=True)


if __name__ == "__main__":
  main()
