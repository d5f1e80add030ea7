"""Runs a grid of config overrides, one workdir per point: one after another, several at once
on this machine, or as a SLURM array.

The DCGAN-vs-MLP MNIST study's grid (latent x hidden, G hidden tied to D hidden):

  python launch/sweep.py --config=configs/dcgan_mnist.py \\
      --param=model.latent_dim=16,64,100 --param=model.g_hidden,model.d_hidden=16,64,100

Names joined by a comma take the same value.  Each point's workdir is
``runs/<config>/`` (``runs/<config>_<preset>/`` for ``--config=<file>.py:<preset>``) followed by every overridden field and its value (the grid's and the
``--config.*`` overrides after ``--``), so two sweeps that differ in any field never share a
workdir.  A finished point (its config.json's num_train_steps reached by a checkpoint, and
the final result of every final evaluation it enables in results.json) is skipped without
starting a process; an interrupted one resumes (a run stopped during its final evaluation
runs only that evaluation).  ``--dry_run`` prints the
commands.  Extra arguments after ``--`` go to every run.

Several at once: ``--parallel=4`` keeps four points running; each writes its output to
``<workdir>/train.log``.  ``--gpus=0,1,2,3`` splits those GPUs between the parallel runs
(CUDA_VISIBLE_DEVICES, in contiguous groups: 4 GPUs and --parallel=2 give 0,1 and 2,3);
without it every run sees what this process sees (on a CPU they share its cores).

A point another process is writing (a sweep started twice, a requeued array task still
running) is reported as ``[running elsewhere: host, pid, since]`` and not started.  A point
whose run was stopped by a signal (exit 128 + the signal: Ctrl-C, SIGTERM, SLURM's warning
SIGUSR1) is reported ``[interrupted]``, not done; the sweep then exits non-zero and the same
command resumes it.

A SLURM array: ``--slurm=sweep.sbatch`` writes a job script with one array task per
unfinished point (``--slurm_gpus``, ``--slurm_cpus``, ``--slurm_time``, ``--slurm_max_running``,
``--slurm_option='--partition=gpu'`` for any other #SBATCH line); submit it with
``sbatch sweep.sbatch``.  Re-writing it after some points finished leaves those out.
``--slurm_requeue=120`` asks SLURM for SIGUSR1 120 s before the time limit: the run saves a
checkpoint and exits 138, and the task requeues itself, so a point longer than one slot
finishes without a person.  Collect the results of either with
``python -m gan_jax.collect <root>``.
"""

import argparse
import itertools
import os
import shlex
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
  sys.path.insert(0, ROOT)

REQUEUE_SIGNAL = signal.SIGUSR1  # SLURM's warning before the time limit (--slurm_requeue)


def stopped_by(returncode: int) -> str | None:
  """The signal's name when a run's exit status says a signal stopped it (128 + n after its
  checkpoint, or -n when it was killed), else None."""
  n = returncode - 128 if returncode > 128 else -returncode if returncode < 0 else 0
  try:
    return signal.Signals(n).name if n else None
  except ValueError:
    return None


def running_elsewhere(workdir: str) -> dict | None:
  """The live process writing ``workdir`` (its run folder's lock), or None."""
  from gan_jax.runs.run_folder import RunFolder
  return RunFolder(workdir).writer_alive()


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


def finished(workdir: str) -> bool:
  """Whether the run in ``workdir`` is done: a checkpoint at its config's num_train_steps and
  a final result of every evaluator whose final evaluation the config enables.  Reads the
  config.json the trainer writes (overrides applied), so no config is loaded."""
  from gan_jax.runs.run_folder import RunFolder, raw_suffix
  from gan_jax.utils.errors import ConfigError
  run = RunFolder(workdir)
  try:
    config = run.config()
    total = int(config["num_train_steps"])
  except (OSError, ValueError, KeyError, TypeError, ConfigError):
    return False
  latest = run.latest_step()
  return (latest is not None and latest >= total
          and not run.missing_finals(config.get("evals", {}), total, raw_suffix(config)))


def device_groups(gpus: str, parallel: int) -> list[str | None]:
  """CUDA_VISIBLE_DEVICES for each of ``parallel`` slots ("" = inherit)."""
  if not gpus:
    return [None] * parallel
  ids = [g for g in gpus.split(",") if g]
  if len(ids) < parallel or len(ids) % parallel:
    sys.exit(f"--gpus={gpus} has {len(ids)} GPUs, which do not split evenly into --parallel="
             f"{parallel} groups: give a multiple of {parallel} GPUs or change --parallel")
  k = len(ids) // parallel
  return [",".join(ids[i * k:(i + 1) * k]) for i in range(parallel)]


def run_local(points, parallel: int, gpus: str) -> int:
  """Runs ``points`` ([(workdir, cmd)]) with at most ``parallel`` at once; returns the number
  that failed.  One at a time streams to the terminal; several write <workdir>/train.log."""
  slots = device_groups(gpus, parallel)
  free = list(range(parallel))
  running = {}  # Popen -> (slot, workdir, log file)
  failed, interrupted, elsewhere = [], [], []
  queue = list(points)
  while queue or running:
    while queue and free:
      workdir, cmd = queue.pop(0)
      holder = running_elsewhere(workdir)
      if holder:
        from gan_jax.utils import once
        print(f"[running elsewhere: {once.describe(holder)}] {workdir}", flush=True)
        elsewhere.append(workdir)
        continue
      slot = free.pop(0)
      env = dict(os.environ)
      if slots[slot] is not None:
        env["CUDA_VISIBLE_DEVICES"] = slots[slot]
      log = None
      if parallel > 1:
        os.makedirs(workdir, exist_ok=True)
        from gan_jax.runs.run_folder import RunFolder
        log = open(RunFolder(workdir).train_log, "a")
      print(f"[start] {shlex.join(cmd)}" + (f"  (log: {log.name})" if log else ""), flush=True)
      proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT if log else None)
      running[proc] = (slot, workdir, log)
    done = [p for p in running if p.poll() is not None]
    if not done:
      time.sleep(0.2)
    for proc in done:
      slot, workdir, log = running.pop(proc)
      free.append(slot)
      if log:
        log.close()
      signame = stopped_by(proc.returncode)
      if proc.returncode == 0:
        status = "done"
      elif signame:
        status = f"interrupted ({signame}, exit {proc.returncode}): the same command resumes it"
        interrupted.append(workdir)
      else:
        status = f"FAILED (exit {proc.returncode})"
        failed.append(workdir)
      print(f"[{status}] {workdir}", flush=True)
  if failed:
    print(f"{len(failed)} point(s) failed: {', '.join(failed)}", file=sys.stderr)
  if interrupted:
    print(f"{len(interrupted)} point(s) interrupted: {', '.join(interrupted)}", file=sys.stderr)
  if elsewhere:
    print(f"{len(elsewhere)} point(s) running elsewhere, not started: {', '.join(elsewhere)}",
          file=sys.stderr)
  return len(failed) + len(interrupted)


def slurm_script(points, a) -> str:
  """An sbatch array script: task i runs the i-th command, from this directory, as a job
  step (``srun``, so SLURM's signals reach the run); with ``--slurm_requeue`` a task stopped
  by the warning signal requeues itself."""
  lines = ["#!/bin/bash",
           f"#SBATCH --job-name=gan_jax_sweep_{os.path.splitext(os.path.basename(a.config))[0]}",
           f"#SBATCH --array=0-{len(points) - 1}" + (f"%{a.slurm_max_running}"
                                                     if a.slurm_max_running else ""),
           "#SBATCH --ntasks=1",
           f"#SBATCH --cpus-per-task={a.slurm_cpus}",
           f"#SBATCH --time={a.slurm_time}",
           f"#SBATCH --output={os.path.abspath(a.root_dir)}/slurm-%A_%a.out"]
  if a.slurm_gpus:
    lines.append(f"#SBATCH --gpus-per-task={a.slurm_gpus}")
  if a.slurm_requeue:
    lines += [f"#SBATCH --signal={REQUEUE_SIGNAL.name[3:]}@{a.slurm_requeue}",
              "#SBATCH --requeue", "#SBATCH --open-mode=append"]
  lines += [f"#SBATCH {opt}" for opt in a.slurm_option]
  lines += ["set -uo pipefail", f"cd {shlex.quote(os.getcwd())}", "COMMANDS=("]
  lines += [f"  {shlex.quote(shlex.join(cmd))}" for _, cmd in points]
  lines += [")", "# a job step inside an allocation, so SLURM's signals reach the run",
            'STEP=""; if [ -n "${SLURM_JOB_ID:-}" ] && command -v srun >/dev/null; then '
            'STEP=srun; fi',
            'eval "$STEP ${COMMANDS[$SLURM_ARRAY_TASK_ID]}"', "rc=$?"]
  if a.slurm_requeue:
    lines += [f"if [ $rc -eq {128 + REQUEUE_SIGNAL} ]; then",
              '  echo "gan_jax: checkpoint saved before the time limit: requeueing '
              '$SLURM_JOB_ID"',
              '  scontrol requeue "$SLURM_JOB_ID"', "  exit 0", "fi"]
  lines += ["exit $rc", ""]
  return "\n".join(lines)


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--config", required=True)
  p.add_argument("--param", action="append", default=[], help="keys=v1,v2,...")
  p.add_argument("--root", default=None, help="default: runs/<config name>")
  p.add_argument("--dry_run", action="store_true")
  p.add_argument("--parallel", type=int, default=1, help="points running at once on this machine")
  p.add_argument("--gpus", default="", help="GPU ids split between the parallel runs, e.g. 0,1,2,3")
  p.add_argument("--slurm", default="", help="write a SLURM array job script here instead of running")
  p.add_argument("--slurm_gpus", type=int, default=1, help="GPUs per array task (0: none)")
  p.add_argument("--slurm_cpus", type=int, default=8)
  p.add_argument("--slurm_time", default="04:00:00")
  p.add_argument("--slurm_max_running", type=int, default=0, help="array tasks at once (0: no cap)")
  p.add_argument("--slurm_option", action="append", default=[], help="another #SBATCH option")
  p.add_argument("--slurm_requeue", type=int, default=0,
                 help="seconds before the time limit at which a run saves and its task "
                      "requeues itself (0: off)")
  p.add_argument("--python", default=sys.executable, help="the interpreter each point runs with")
  p.add_argument("extra", nargs=argparse.REMAINDER)
  a = p.parse_args()
  if a.parallel < 1:
    sys.exit(f"--parallel must be >= 1, got {a.parallel}")
  axes = []
  for spec in a.param:
    keys, _, values = spec.rpartition("=")
    if not keys:
      sys.exit(f"--param needs keys=v1,v2,...: {spec!r}")
    axes.append((keys.split(","), values.split(",")))
  name, _, preset = os.path.basename(a.config).partition(":")
  a.root_dir = a.root or os.path.join(
      "runs", os.path.splitext(name)[0] + (f"_{preset}" if preset else ""))
  extra = [x for x in a.extra if x != "--"]
  fixed = [(k.split("=", 1)[0][len("--config."):], k.split("=", 1)[1])
           for k in extra if k.startswith("--config.") and "=" in k]
  points, skipped = [], 0
  for point in itertools.product(*[v for _, v in axes]):
    name = workdir_name([(k, v) for (keys, _), v in zip(axes, point) for k in keys] + fixed)
    workdir = os.path.join(a.root_dir, name)
    cmd = [a.python, "-m", "gan_jax.main", f"--config={a.config}", f"--workdir={workdir}", *extra]
    cmd += [f"--config.{k}={v}" for (keys, _), v in zip(axes, point) for k in keys]
    if finished(workdir):
      print(f"[skip, finished] {workdir}", flush=True)
      skipped += 1
      continue
    points.append((workdir, cmd))
  if a.dry_run:
    for _, cmd in points:
      print(shlex.join(cmd), flush=True)
    return
  if a.slurm:
    if not points:
      print(f"every point is finished ({skipped}): no script written")
      return
    os.makedirs(a.root_dir, exist_ok=True)
    with open(a.slurm, "w") as f:
      f.write(slurm_script(points, a))
    print(f"wrote {a.slurm}: {len(points)} array task(s) ({skipped} finished point(s) left out); "
          f"submit with: sbatch {a.slurm}")
    return
  if run_local(points, a.parallel, a.gpus):
    sys.exit(1)


if __name__ == "__main__":
  main()
