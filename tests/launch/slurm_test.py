"""Against a real one-node SLURM (tools/slurm_local.sh): the sweep's array, the multi-host
script with 2 tasks, and a run past its time limit that saves on SLURM's warning signal,
requeues itself and finishes. Marked ``slurm``; skipped where no cluster answers ``sinfo``.
The time-limit test takes 5-8 minutes (a 3-minute slot, SLURM's hold before a requeued job
starts again) and runs only with GAN_JAX_SLURM_LONG=1."""

import os
import shutil
import subprocess
import sys
import time

import pytest
from helpers import ROOT, xla_flags

sys.path.insert(0, os.path.join(ROOT, "launch"))
import sweep  # noqa: E402


def _cluster_up() -> bool:
  if not shutil.which("sinfo"):
    return False
  r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
  return r.returncode == 0 and any(s in r.stdout for s in ("idle", "mixed", "alloc"))


pytestmark = [pytest.mark.slurm,
              pytest.mark.skipif(not _cluster_up(), reason="no SLURM cluster (tools/slurm_local.sh)")]
# a folder every task sees: on this one-node cluster, any folder of this machine
ENV = dict(os.environ, GAN_JAX_PYTHON=sys.executable,
           XLA_FLAGS=xla_flags(1))


def _submit(args) -> str:
  r = subprocess.run(["sbatch", "--parsable", *args], capture_output=True, text=True, env=ENV,
                     cwd=ROOT)
  assert r.returncode == 0, r.stderr
  return r.stdout.strip().split(";")[0]


def _job(job_id: str) -> dict:
  r = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True)
  return dict(kv.split("=", 1) for kv in r.stdout.split() if "=" in kv)


# SLURM's reasons for a pending job that no wait resolves
NEVER = ("PartitionConfig", "BadConstraints", "PartitionNodeLimit", "Resources_Unavailable")


def _wait(job_ids, timeout):
  """Waits until every job (array tasks included) has ended; returns their states."""
  t0 = time.time()
  while time.time() - t0 < timeout:
    r = subprocess.run(["squeue", "-h", "-o", "%i", "-j", ",".join(job_ids)], capture_output=True,
                       text=True)
    if not r.stdout.strip():
      break
    for job in job_ids:  # a request this cluster can never meet: say so now, not at the timeout
      reason = _job(job).get("Reason", "")
      assert reason not in NEVER, (
          f"job {job} cannot start on this cluster ({reason}: {_job(job).get('TRES')}, "
          f"`sinfo -o '%c %m'` gives {subprocess.getoutput('sinfo -h -o %c,%m')}); "
          "run tools/slurm_local.sh again")
    time.sleep(2)
  else:
    raise AssertionError(f"jobs {job_ids} still queued after {timeout} s")
  r = subprocess.run(["scontrol", "show", "job", "-o", *job_ids], capture_output=True, text=True)
  return [dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
          for line in r.stdout.splitlines() if line.strip()]


def test_the_sweeps_array_trains_every_point(tmp_path):
  root, script = tmp_path / "runs", tmp_path / "sweep.sbatch"
  r = subprocess.run([sys.executable, "launch/sweep.py", "--config=configs/test.py",
                      f"--root={root}", "--param=model.latent_dim=4,8", f"--slurm={script}",
                      "--slurm_gpus=0", "--slurm_cpus=1", "--slurm_time=00:10:00",
                      "--slurm_requeue=60", "--", "--config.num_train_steps=6"],
                     cwd=ROOT, capture_output=True, text=True, env=ENV)
  assert r.returncode == 0, r.stderr
  job = _submit([str(script)])
  states = _wait([job], 600)
  assert [s["JobState"] for s in states] == ["COMPLETED", "COMPLETED"], states
  points = sorted(os.listdir(root))
  assert len([p for p in points if p.startswith("latent_dim")]) == 2
  assert all(sweep.finished(str(root / p)) for p in points if p.startswith("latent_dim"))


def test_the_multi_host_script_runs_two_processes_with_one_progress_stream(tmp_path):
  workdir = tmp_path / "run"
  job = _submit([f"--output={tmp_path}/%j.out", "--time=10", "--nodes=1", "--ntasks-per-node=2",
                 "--cpus-per-task=1", "--gpus-per-node=0", "launch/slurm.sbatch",
                 "configs/test.py", str(workdir), "--config.num_train_steps=10",
                 "--config.log_every=5"])
  (state,) = _wait([job], 600)
  out = open(tmp_path / f"{job}.out").read()
  assert state["JobState"] == "COMPLETED", out[-3000:]
  assert "2 process(es)" in out
  assert out.count("step 10/10") == 1  # progress from process 0 only
  assert os.path.isdir(workdir / "checkpoints" / "10")


@pytest.mark.skipif(os.environ.get("GAN_JAX_SLURM_LONG") != "1",
                    reason="5-8 minutes: set GAN_JAX_SLURM_LONG=1")
def test_a_run_past_its_time_limit_saves_on_the_warning_requeues_and_finishes(tmp_path):
  """3-minute slots and SIGUSR1 60 s before the limit (SLURM may send it up to 60 s early):
  the first slot saves and requeues, the next resumes from that checkpoint and finishes."""
  workdir = tmp_path / "run"
  job = _submit([f"--output={tmp_path}/%j.out", "--time=3", "--signal=USR1@60", "--requeue",
                 "--nodes=1", "--ntasks-per-node=1", "--cpus-per-task=1", "--gpus-per-node=0",
                 "launch/slurm.sbatch", "configs/test.py", str(workdir),
                 "--config.num_train_steps=40000", "--config.log_every=2000",
                 "--config.checkpoint_every=100000", "--config.sample_every=100000"])
  (state,) = _wait([job], 1200)
  out = open(tmp_path / f"{job}.out").read()
  assert state["JobState"] == "COMPLETED" and int(state["Restarts"]) >= 1, (state, out[-3000:])
  assert "Received SIGUSR1: saving a checkpoint" in out and "requeueing" in out
  assert "Resuming from step" in out and "step 40000/40000" in out
  assert os.path.isdir(workdir / "checkpoints" / "40000")
