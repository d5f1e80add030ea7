"""End to end through the command line: train, log, checkpoint, sample, signals, bad input."""

import glob
import os
import signal
import subprocess
import sys
import time

import numpy as np
from PIL import Image

from conftest import ROOT, run_main


def scalars_in_events(workdir):
  from tensorboard.backend.event_processing import event_accumulator
  acc = event_accumulator.EventAccumulator(workdir, size_guidance={"tensors": 0, "images": 0})
  acc.Reload()
  return set(acc.Tags()["tensors"]), acc


def test_train_then_sample(tmp_path):
  workdir = str(tmp_path / "run")
  t0 = time.time()
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}"])
  assert r.returncode == 0, r.stderr[-3000:]
  assert time.time() - t0 < 60
  log = r.stderr
  for name in ("d_loss", "g_loss", "D_x", "D_G_z1", "D_G_z2", "ETA", "steps/s"):
    assert name in log, name
  tags, _ = scalars_in_events(workdir)
  assert {"d_loss", "g_loss", "D_x", "D_G_z1", "D_G_z2", "samples", "steps_per_sec"} <= tags
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["12", "6"]
  grids = sorted(glob.glob(os.path.join(workdir, "samples", "step_*.png")))
  assert [os.path.basename(g) for g in grids] == ["step_000006.png", "step_000012.png"]
  assert os.path.exists(os.path.join(workdir, "config.json"))

  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--mode=sample"])
  assert r.returncode == 0, r.stderr[-3000:]
  png = r.stdout.strip().splitlines()[-1]
  img = np.asarray(Image.open(png))
  assert img.shape == (2 + 4 * 34, 2 + 4 * 34)  # 16 samples of 32px in a 4x4 grid, pad 2
  again = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--mode=sample"])
  assert np.array_equal(np.asarray(Image.open(again.stdout.strip().splitlines()[-1])), img)

  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--mode=sample",
                "--config.model.g_hidden=16"])
  assert r.returncode == 1
  assert "different architecture" in r.stderr and "model.g_hidden" in r.stderr
  assert "Traceback" not in r.stderr


def test_misspelt_config_key_fails_fast_naming_valid_keys(tmp_path):
  t0 = time.time()
  r = run_main(["--config=configs/test.py", f"--workdir={tmp_path}", "--config.model.latent_dimm=3"])
  assert r.returncode == 2
  assert "unknown config key 'model.latent_dimm'" in r.stderr
  assert "Valid keys of model: conv_impl, d_hidden, dropout, g_hidden, latent_dim, name" in r.stderr
  assert "Traceback" not in r.stderr
  assert time.time() - t0 < 30


def test_offline_without_any_source_fails_in_seconds(tmp_path):
  """No prepared TFDS, no network, no npm: a message that says what to do, fast."""
  t0 = time.time()
  env = {"PATH": "/nonexistent", "GAN_JAX_CACHE": str(tmp_path / "cache"),
         "TFDS_DATA_DIR": str(tmp_path / "tfds")}
  r = run_main(["--config=configs/dcgan_mnist.py", f"--workdir={tmp_path / 'w'}",
                f"--config.data.tfds_data_dir={tmp_path / 'tfds'}"], env=env, timeout=120)
  assert r.returncode == 1
  assert "npm" in r.stderr and "TFDS" in r.stderr, r.stderr[-2000:]
  assert time.time() - t0 < 60


def test_sigterm_saves_a_checkpoint_and_resume_finishes(tmp_path):
  workdir = str(tmp_path / "run")
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=1")
  proc = subprocess.Popen(
      [sys.executable, "-m", "gan_jax.main", "--config=configs/test.py", f"--workdir={workdir}",
       "--config.num_train_steps=100000", "--config.checkpoint_every=100000",
       "--config.sample_every=100000", "--config.log_every=1"],
      cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
  for line in proc.stderr:
    if "d_loss=" in line:
      break
  proc.send_signal(signal.SIGTERM)
  _, err = proc.communicate(timeout=120)
  assert proc.returncode == 0, err[-3000:]
  assert "checkpoint saved" in err
  steps = [int(s) for s in os.listdir(os.path.join(workdir, "checkpoints"))]
  assert len(steps) == 1 and 0 < steps[0] < 100000
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}",
                f"--config.num_train_steps={steps[0] + 2}"])
  assert r.returncode == 0, r.stderr[-3000:]
  assert f"Resuming from step {steps[0]}" in r.stderr


def test_sweep_expands_the_grid_with_tied_keys():
  r = subprocess.run(
      [sys.executable, "launch/sweep.py", "--config=configs/dcgan_mnist.py", "--dry_run",
       "--param=model.latent_dim=16,100", "--param=model.g_hidden,model.d_hidden=16,64",
       "--", "--config.seed=43"], cwd=ROOT, capture_output=True, text=True, timeout=60)
  assert r.returncode == 0, r.stderr
  lines = r.stdout.strip().splitlines()
  assert len(lines) == 4
  assert "--workdir=runs/dcgan_mnist/latent_dim100_g_hidden64" in lines[3]
  assert "--config.model.g_hidden=64 --config.model.d_hidden=64" in lines[3]
  assert all("--config.seed=43" in line for line in lines)
