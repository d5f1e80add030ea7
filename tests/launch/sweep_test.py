"""launch/sweep.py: points run several at once, finished points skipped without a process,
GPU groups for parallel runs, and the SLURM array script (one of its tasks run for real)."""

import json
import os
import re
import subprocess
import sys

import pytest

from helpers import ROOT
from gan_jax.evaluators.base import EvalResult
from gan_jax.runs.run_folder import RunFolder

sys.path.insert(0, os.path.join(ROOT, "launch"))
import sweep  # noqa: E402

TINY = ["--", "--config.num_train_steps=4", "--config.checkpoint_every=4", "--config.log_every=2",
        "--config.sample_every=4"]


def run_sweep(args, **kw):
  return subprocess.run([sys.executable, "launch/sweep.py", "--config=configs/test.py", *args],
                        cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)


def checkpoint_steps(workdir):
  return sorted(int(d) for d in os.listdir(os.path.join(workdir, "checkpoints")) if d.isdigit())


def test_parallel_sweep_trains_every_point_then_a_rerun_starts_nothing(tmp_path):
  root = str(tmp_path / "runs")
  r = run_sweep([f"--root={root}", "--param=seed=1,2", "--parallel=2", *TINY])
  assert r.returncode == 0, r.stdout + r.stderr
  names = ["seed1_num_train_steps4_checkpoint_every4_log_every2_sample_every4",
           "seed2_num_train_steps4_checkpoint_every4_log_every2_sample_every4"]
  assert sorted(os.listdir(root)) == names
  for name in names:
    workdir = os.path.join(root, name)
    assert checkpoint_steps(workdir)[-1] == 4
    assert sweep.finished(workdir)
    log = open(os.path.join(workdir, "train.log")).read()  # each parallel run's own output
    assert re.search(r"step 4/4", log), log[-2000:]
    assert json.load(open(os.path.join(workdir, "config.json")))["seed"] == int(name[4])
  assert r.stdout.count("[start]") == 2 and r.stdout.count("[done]") == 2
  again = run_sweep([f"--root={root}", "--param=seed=1,2,3", "--parallel=2", "--dry_run", *TINY])
  assert again.returncode == 0, again.stderr
  assert again.stdout.count("[skip, finished]") == 2
  todo = [ln for ln in again.stdout.splitlines() if ln.startswith(sys.executable)]
  assert len(todo) == 1 and "--config.seed=3" in todo[0]
  rerun = run_sweep([f"--root={root}", "--param=seed=1,2", "--parallel=2", *TINY])
  assert rerun.returncode == 0 and "[start]" not in rerun.stdout, rerun.stdout
  assert rerun.stdout.count("[skip, finished]") == 2


def test_an_interrupted_point_is_not_finished(tmp_path):
  """A checkpoint below the config's step count, no config at all, or a missing final result
  means: run it."""
  workdir = tmp_path / "w"
  assert not sweep.finished(str(workdir))
  os.makedirs(workdir / "checkpoints" / "6")
  assert not sweep.finished(str(workdir))                      # no config.json
  (workdir / "config.json").write_text(json.dumps({"num_train_steps": 12}))
  assert not sweep.finished(str(workdir))                      # 6 < 12
  os.makedirs(workdir / "checkpoints" / "12")
  assert sweep.finished(str(workdir))
  # a final evaluation enabled but not in results.json: stopped during it, not finished
  (workdir / "config.json").write_text(json.dumps({"num_train_steps": 12,
                                                  "evals": {"fid": {"final": True},
                                                            "class_histogram": {"final": False}}}))
  assert not sweep.finished(str(workdir))
  RunFolder(str(workdir)).append_result(EvalResult("fid", 6, True, {"fid": 1.0}, {}, 1.0, 16).record())
  assert not sweep.finished(str(workdir))                      # a final record of step 6
  RunFolder(str(workdir)).append_result(EvalResult("fid", 12, True, {"fid": 1.0}, {}, 1.0, 16).record())
  assert sweep.finished(str(workdir))


def test_gpu_groups_for_parallel_runs():
  assert sweep.device_groups("0,1,2,3", 2) == ["0,1", "2,3"]
  assert sweep.device_groups("0,1,2,3", 4) == ["0", "1", "2", "3"]
  assert sweep.device_groups("", 3) == [None, None, None]
  with pytest.raises(SystemExit, match="do not split evenly"):
    sweep.device_groups("0,1,2", 2)


def test_slurm_array_script_leaves_finished_points_out_and_a_task_trains_its_point(tmp_path):
  root = str(tmp_path / "runs")
  script = str(tmp_path / "sweep.sbatch")
  args = [f"--root={root}", "--param=model.latent_dim=4,8", f"--slurm={script}",
          "--slurm_gpus=2", "--slurm_max_running=1", "--slurm_option=--partition=gpu", *TINY]
  r = run_sweep(args)
  assert r.returncode == 0, r.stderr
  text = open(script).read()
  assert "#SBATCH --array=0-1%1" in text and "#SBATCH --gpus-per-task=2" in text
  assert "#SBATCH --partition=gpu" in text
  assert subprocess.run(["bash", "-n", script]).returncode == 0
  # run array task 1 as SLURM would: it trains the second point
  env = dict(os.environ, SLURM_ARRAY_TASK_ID="1")
  t = subprocess.run(["bash", script], env=env, capture_output=True, text=True, timeout=600)
  assert t.returncode == 0, t.stderr[-3000:]
  done = os.path.join(root, "latent_dim8_num_train_steps4_checkpoint_every4_log_every2_sample_every4")
  assert sweep.finished(done)
  assert json.load(open(os.path.join(done, "config.json")))["model"]["latent_dim"] == 8
  # written again, the script holds only the unfinished point
  r = run_sweep(args)
  assert r.returncode == 0 and "1 finished point(s) left out" in r.stdout, r.stdout
  text = open(script).read()
  assert "#SBATCH --array=0-0%1" in text
  assert "--config.model.latent_dim=4" in text and "--config.model.latent_dim=8" not in text


def test_exit_statuses_of_a_stopped_run_read_as_interrupted():
  assert sweep.stopped_by(143) == "SIGTERM" and sweep.stopped_by(130) == "SIGINT"
  assert sweep.stopped_by(138) == "SIGUSR1" and sweep.stopped_by(-9) == "SIGKILL"
  assert sweep.stopped_by(0) is None and sweep.stopped_by(1) is None


def test_a_point_stopped_by_a_signal_is_interrupted_and_one_written_elsewhere_is_not_started(
    tmp_path):
  """A point whose run exits 143 is reported interrupted (not done) and the sweep exits
  non-zero; a point whose folder a live process holds is not started twice."""
  import signal
  root = tmp_path / "runs"
  long = ["--", "--config.num_train_steps=100000", "--config.checkpoint_every=100000",
          "--config.log_every=1", "--config.sample_every=100000"]
  proc = subprocess.Popen([sys.executable, "launch/sweep.py", "--config=configs/test.py",
                           f"--root={root}", "--param=seed=1", *long], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True)
  workdir = root / "seed1_num_train_steps100000_checkpoint_every100000_log_every1_sample_every100000"
  for line in proc.stderr:  # the run streams to the sweep's terminal: wait for its steps
    if "d_loss" in line:
      break
  again = run_sweep([f"--root={root}", "--param=seed=1", *long])  # started twice
  assert again.returncode == 0, again.stderr
  assert "[running elsewhere: host " in again.stdout and str(workdir) in again.stdout
  holder = RunFolder(str(workdir)).writer_alive()
  os.kill(holder["pid"], signal.SIGTERM)  # the run, as a scheduler would stop it
  out, err = proc.communicate(timeout=120)
  assert proc.returncode == 1, out + err[-3000:]
  assert "[interrupted (SIGTERM, exit 143)" in out and "1 point(s) interrupted" in err, out + err[-3000:]
  assert not sweep.finished(str(workdir)) and checkpoint_steps(str(workdir))
