"""Reproduces the experiments of the five source reports and writes the reproduction page.

  python launch/reproduce.py list                         # the experiments and their sweeps
  python launch/reproduce.py run [--only=KEY,...] [--parallel=N] [--preset=cpu]
  python launch/reproduce.py table [--preset=cpu]         # -> docs/REPRODUCTION.md
  python launch/reproduce.py check --preset=full          # each sweep's first point starts
                                                          # and trains --steps steps

Each experiment is one sweep of ``launch/sweep.py`` (the config, its axes, the preset) under
``<root>/reproduce_<preset>/<key>`` (``--root``, default ``runs``: e.g. ``~/gan_jax_runs`` so the
runs outlive the checkout; the page shows the commands with the default root); ``run`` runs the sweeps (a finished point is skipped, an
interrupted one resumes), ``table`` builds the page from whatever has finished, with
``gan_jax.collect``: per experiment the command, each point's number in the report beside
the number measured here (mean +- std over seeds where seeds vary), the budget read from the
runs' config.json, and the last sample grid. The reports' numbers are ``launch/experiments.py``'s;
every measured number comes from the runs' results.json and event files.

``--preset=cpu`` (the default) is each config's reduced budget for a 2-core CPU (each config
file says what it cuts); ``--preset=full`` runs the reports' own settings.
"""

import argparse
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from gan_jax.runs import tables  # noqa: E402

CELEBA_DIR = ""  # --celeba_data_dir: the TFDS data dir holding celeb_a ('' = TFDS's default)
from experiments import CELEBA, EXPERIMENTS, FASHION64, STUDY  # noqa: E402,F401

BY_KEY = {e["key"]: e for e in EXPERIMENTS}


RUNS = "runs"  # where run folders lie (--root)


def root_of(exp, preset, runs=None):
  return os.path.join(runs or RUNS, f"reproduce_{preset}", exp["key"])


def config_arg(exp, preset):
  return exp["config"] + (f":{preset}" if preset != "full" else "")


def sweep_command(exp, preset, parallel=1, python="python", runs="runs"):
  """The sweep's command; by default as the page shows it (run folders under ``runs/``)."""
  cmd = [python, "launch/sweep.py", f"--config={config_arg(exp, preset)}",
         f"--root={root_of(exp, preset, runs)}", *[f"--param={p}" for p in exp["params"]]]
  if parallel > 1:
    cmd.append(f"--parallel={parallel}")
  extra = data_args(exp) + exp.get("extra", [])
  if extra:
    cmd += ["--", *extra]
  return cmd


def celeba_prepared() -> bool:
  from gan_jax import data
  return data.prepared("celeb_a", CELEBA_DIR)


def data_args(exp) -> list[str]:
  """The CelebA study's experiments on CelebA where it is prepared (``--celeba_data_dir``, or
  TFDS's default data dir, or the cache), else on the stand-in (Fashion-MNIST at 64x64)."""
  if not exp.get("celeba"):
    return []
  if celeba_prepared():
    return [f"--config.data.tfds_data_dir={CELEBA_DIR}"] if CELEBA_DIR else []
  return list(FASHION64)


def first_steps(exp, preset, steps: int, root: str):
  """Runs the first point of ``exp``'s sweep for ``steps`` steps under ``root``, every
  evaluation off: the report's command starts, builds its networks at their size and trains.
  Returns ``(ok, seconds, the last line of its output)``."""
  import tempfile
  from gan_jax import evaluators
  from configs import default
  cmd = sweep_command(exp, preset, python=sys.executable)
  cmd[3] = f"--root={os.path.join(root, exp['key'])}"
  listed = subprocess.run(cmd[:2] + ["--dry_run"] + cmd[2:], capture_output=True, text=True)
  points = [line for line in listed.stdout.splitlines() if "gan_jax.main" in line]
  if listed.returncode or not points:
    return False, 0.0, (listed.stderr or listed.stdout).strip()[-300:]
  off = [f"--config.evals.{name}.{field}={value}" for name in evaluators.resolve(
      default.get_config().evals) for field, value in (("final", False), ("every", 0))]
  run = shlex.split(points[0]) + [
      f"--config.num_train_steps={steps}", "--config.log_every=1",
      f"--config.sample_every={steps}", f"--config.checkpoint_every={steps}", *off]
  t0 = time.time()
  with tempfile.TemporaryFile("w+") as log:
    code = subprocess.run(run, stdout=log, stderr=subprocess.STDOUT).returncode
    log.seek(0)
    lines = [line for line in log.read().splitlines() if line.strip()]
  took = time.time() - t0
  stepped = any(f"step {steps}/{steps}" in line for line in lines)
  return code == 0 and stepped, took, lines[-1] if lines else ""


def selected(only):
  if not only:
    return EXPERIMENTS
  keys = [k for k in only.split(",") if k]
  bad = [k for k in keys if k not in BY_KEY]
  if bad:
    sys.exit(f"unknown experiment(s) {bad}; known: {', '.join(BY_KEY)}")
  return [BY_KEY[k] for k in keys]


def _load(root, scalars=()):
  return tables.load_runs([root], scalars) if os.path.isdir(root) else []


def shared_runs(exp, preset, scalars=()):
  """The runs of ``exp['shares']``'s experiment whose config holds its ``where`` values."""
  shared = exp["shares"]
  runs = _load(root_of(BY_KEY[shared["key"]], preset), scalars)
  return [r for r in runs
          if all(r["config"].get(k) == v for k, v in shared["where"].items())]


def write_table(preset, path, keep=True):
  """docs/REPRODUCTION.md from the runs (``reproduction_page``), with this module's catalogue
  and settings."""
  import reproduction_page
  reproduction_page.write_table(sys.modules[__name__], preset, path, keep)


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("action", choices=["list", "run", "table", "check"])
  p.add_argument("--steps", type=int, default=2, help="check: steps of each first point")
  p.add_argument("--only", default="", help="comma-separated experiment keys (default: all)")
  p.add_argument("--preset", default="cpu", help="cpu (reduced budgets) or full (the reports')")
  p.add_argument("--parallel", type=int, default=1, help="points at once (launch/sweep.py)")
  p.add_argument("--out", default="docs/REPRODUCTION.md")
  p.add_argument("--root", default="runs", help="where the run folders lie (default: runs)")
  p.add_argument("--celeba_data_dir", default="",
                 help="the TFDS data dir where celeb_a is prepared (default: TFDS's own); "
                      "without it the CelebA study runs on Fashion-MNIST at 64x64")
  p.add_argument("--fresh", action="store_true",
                 help="table: only this machine's runs (default: keep the page's rows of "
                      "experiments with no runs here)")
  a = p.parse_args()
  if a.preset not in ("cpu", "full"):
    sys.exit(f"--preset must be cpu or full, got {a.preset!r}")
  global RUNS, CELEBA_DIR
  RUNS = os.path.abspath(os.path.expanduser(a.root))
  CELEBA_DIR = os.path.abspath(os.path.expanduser(a.celeba_data_dir)) if a.celeba_data_dir else ""
  os.chdir(ROOT)
  exps = selected(a.only)
  if a.action in ("run", "check", "list") and any(e.get("celeba") for e in exps):
    print("CelebA study: " + ("on CelebA (prepared in " + (CELEBA_DIR or "TFDS's data dir")
                              + ")" if celeba_prepared() else
                              "CelebA is not prepared here (--celeba_data_dir; docs/data.md): "
                              "on the stand-in, Fashion-MNIST at 64x64"), flush=True)
  if a.action == "list":
    for exp in exps:
      print(f"{exp['key']}: {exp['what']} ({exp['report']})\n  "
            f"{shlex.join(sweep_command(exp, a.preset, a.parallel))}")
  elif a.action == "run":
    failed = []
    keys = [e["key"] for e in exps]
    for exp in exps:
      lender = exp.get("shares", {}).get("key")
      if lender and lender not in keys:
        print(f"note: {exp['key']}'s {exp['shares']['what']} row comes from {lender}'s runs "
              f"(run --only={lender} too)", flush=True)
    for exp in exps:
      cmd = sweep_command(exp, a.preset, a.parallel, python=sys.executable, runs=RUNS)
      print(f"== {exp['key']}: {shlex.join(cmd)}", flush=True)
      if subprocess.run(cmd).returncode:
        failed.append(exp["key"])
    if failed:
      sys.exit(f"failed: {', '.join(failed)}")
  elif a.action == "check":
    import tempfile
    failed = []
    with tempfile.TemporaryDirectory() as root:
      for exp in exps:
        ok, took, last = first_steps(exp, a.preset, a.steps, root)
        print(f"{'ok  ' if ok else 'FAIL'} {exp['key']} ({took:.0f} s): {last}", flush=True)
        if not ok:
          failed.append(exp["key"])
    if failed:
      sys.exit(f"failed: {', '.join(failed)}")
  else:
    write_table(a.preset, a.out, keep=not a.fresh)
    print(f"wrote {a.out}")


if __name__ == "__main__":
  main()
