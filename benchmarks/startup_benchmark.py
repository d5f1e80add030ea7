"""Time to the first training step and peak memory of ``python -m gan_jax.main``, per config;
one JSON line each.

  python benchmarks/startup_benchmark.py configs/dcgan_mnist.py configs/mlp_mnist.py ...
  python benchmarks/startup_benchmark.py --repo=/path/to/another/checkout configs/...

Each config is run once untimed (so its data is prepared and cached, as on a user's second
run) and then timed: a fresh process, ``--config.log_every=1``, stopped by SIGTERM as soon as
the terminal shows step 1 (no final evaluation). ``first_step_s`` is the time from the
process start to that line (imports, data, compilation, the evaluators' preparation, one
step); ``peak_rss_mb`` the process's peak resident memory up to then, read from
/proc/<pid>/status. ``--repo`` runs another checkout's code (e.g. an older commit) on the
same machine, for a before/after comparison.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time


def _peak_rss_mb(pid: int) -> float:
  try:
    with open(f"/proc/{pid}/status") as f:
      for line in f:
        if line.startswith("VmHWM:"):
          return int(line.split()[1]) / 1024
  except OSError:
    pass
  return float("nan")


def run_once(repo: str, config: str, workdir: str, timeout: float) -> dict:
  env = dict(os.environ, PYTHONPATH=repo, XLA_FLAGS=os.environ.get("XLA_FLAGS", ""))
  cmd = [sys.executable, "-m", "gan_jax.main", f"--config={config}", f"--workdir={workdir}",
         "--config.log_every=1", "--config.num_train_steps=2"]
  t0 = time.perf_counter()
  p = subprocess.Popen(cmd, cwd=repo, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                       text=True)
  first, peak, tail = None, 0.0, []
  timer = threading.Timer(timeout, p.kill)
  timer.start()
  try:
    for line in p.stderr:
      tail = (tail + [line])[-20:]
      peak = max(peak, _peak_rss_mb(p.pid))
      if re.search(r"\bstep 1/2\b", line):
        first = time.perf_counter() - t0
        peak = max(peak, _peak_rss_mb(p.pid))
        p.send_signal(signal.SIGTERM)
        break
  finally:
    timer.cancel()
    try:
      p.wait(timeout=60)
    except subprocess.TimeoutExpired:
      p.kill()
  return {"first_step_s": None if first is None else round(first, 1),
          "peak_rss_mb": round(peak), "error": None if first else "".join(tail)[-600:]}


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("configs", nargs="+")
  ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  ap.add_argument("--timeout", type=float, default=1800)
  a = ap.parse_args()
  repo = os.path.abspath(a.repo)
  for config in a.configs:
    with tempfile.TemporaryDirectory() as tmp:
      run_once(repo, config, os.path.join(tmp, "warm"), a.timeout)  # prepares data, caches
      r = run_once(repo, config, os.path.join(tmp, "run"), a.timeout)
    print(json.dumps({"config": config, "repo": repo, **r}), flush=True)


if __name__ == "__main__":
  main()
