"""End to end through the command line: train, log, checkpoint, sample, signals, bad input,
what the terminal shows, and the documented sweep commands."""

import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import ROOT, run_main, xla_flags
from PIL import Image


def events(workdir):
  from tensorboard.backend.event_processing import event_accumulator
  acc = event_accumulator.EventAccumulator(workdir, size_guidance={"tensors": 0, "images": 0})
  acc.Reload()
  return acc


def scalar_series(acc, tag):
  import tensorflow as tf
  return {e.step: float(tf.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)}


def test_train_logs_checkpoints_grids_and_sample_mode_is_reproducible(tmp_path):
  workdir = str(tmp_path / "run")
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}"])
  assert r.returncode == 0, r.stderr[-3000:]
  lines = [ln for ln in r.stderr.splitlines() if " step " in f" {ln}" and "steps/s" in ln]
  # one line per log interval: step/total, steps/s, ETA and the metrics
  assert [re.search(r"step (\d+)/12", ln).group(1) for ln in lines] == ["4", "8", "12"]
  for ln in lines:
    assert re.search(r"\| [\d.]+ steps/s \| ETA \S+ \| d_loss \S+ g_loss \S+ D_x \S+ D_G_z1 \S+ "
                     r"D_G_z2 \S+", ln), ln
  acc = events(workdir)
  tags = set(acc.Tags()["tensors"])
  assert {"d_loss", "g_loss", "D_x", "D_G_z1", "D_G_z2", "samples", "steps_per_sec"} <= tags
  assert sorted(scalar_series(acc, "d_loss")) == [4, 8, 12]
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

  # the run report: curves from the event files, the summary with the last grid
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--mode=report"])
  assert r.returncode == 0, r.stderr[-3000:]
  md_path = r.stdout.strip().splitlines()[-1]
  md = open(md_path).read()
  assert "step 12 of 12 logged (finished)" in md and "No final evaluation yet." in md
  assert "![losses (non_saturating)](losses.png)" in md and "../samples/step_000012.png" in md
  report_dir = os.path.dirname(md_path)
  assert sorted(os.listdir(report_dir)) == ["d_outputs.png", "losses.png", "report.md"]
  r = run_main(["--config=configs/test.py", f"--workdir={tmp_path / 'empty'}", "--mode=report"])
  assert r.returncode == 1 and "no config.json" in r.stderr

  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--mode=sample",
                "--config.model.g_hidden=16"])
  assert r.returncode == 1
  assert "different architecture" in r.stderr and "model.g_hidden" in r.stderr
  assert "Traceback" not in r.stderr


def test_terminal_hides_library_info_unless_verbosity_asks(tmp_path):
  quiet = run_main(["--config=configs/test.py", f"--workdir={tmp_path / 'a'}"])
  assert quiet.returncode == 0, quiet.stderr[-3000:]
  noisy = run_main(["--config=configs/test.py", f"--workdir={tmp_path / 'b'}", "--verbosity=1"])
  assert noisy.returncode == 0, noisy.stderr[-3000:]
  for chatter in ("orbax", "Unable to initialize backend", "oneDNN"):
    assert chatter.lower() not in quiet.stderr.lower(), chatter
  assert "orbax" in noisy.stderr.lower()  # the checkpoint library's INFO lines, on request
  # every line of the quiet run is gan_jax's own: progress, data source, resume/first step
  assert len(quiet.stderr.strip().splitlines()) <= 8, quiet.stderr


def test_point_values_are_the_logged_steps_own_values(test_config, tmp_path):
  """log_scalars=point logs the values of each logged step, as the study's curves; means
  (the default) are the interval's means."""
  from gan_jax.training import train
  from gan_jax.utils import parallel
  mesh = parallel.make_mesh(1)
  every = test_config.copy_and_resolve_references()
  every.log_every = 1
  train.train_and_evaluate(every, str(tmp_path / "every"), mesh)
  per_step = scalar_series(events(str(tmp_path / "every")), "d_loss")
  test_config.log_scalars = "point"
  train.train_and_evaluate(test_config, str(tmp_path / "point"), mesh)
  point = scalar_series(events(str(tmp_path / "point")), "d_loss")
  test_config.log_scalars = "mean"
  train.train_and_evaluate(test_config, str(tmp_path / "mean"), mesh)
  mean = scalar_series(events(str(tmp_path / "mean")), "d_loss")
  assert sorted(point) == sorted(mean) == [4, 8, 12]
  for s in (4, 8, 12):
    assert point[s] == pytest.approx(per_step[s], rel=1e-6)
    assert mean[s] == pytest.approx(np.mean([per_step[t] for t in range(s - 3, s + 1)]), rel=1e-5)


def test_conditional_sample_grid_has_one_row_per_class(tmp_path):
  workdir = str(tmp_path / "cond")
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--config.model.conditional=True",
                "--config.num_train_steps=6"])
  assert r.returncode == 0, r.stderr[-3000:]
  grid = np.asarray(Image.open(os.path.join(workdir, "samples", "step_000006.png")))
  assert grid.shape == (2 + 2 * 34, 2 + 8 * 34)  # 2 classes x 8 columns of 32px, pad 2
  # asked labels: one row each (names or indices), in the order asked
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--config.model.conditional=True",
                "--mode=sample", "--labels=square,0,1", "--config.num_samples=6"])
  assert r.returncode == 0, r.stderr[-3000:]
  path = r.stdout.strip().splitlines()[-1]
  assert np.asarray(Image.open(path)).shape == (2 + 3 * 34, 2 + 2 * 34)
  np.testing.assert_array_equal(np.load(path[:-4] + ".npz")["labels"], [1, 1, 0, 0, 1, 1])
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--config.model.conditional=True",
                "--mode=sample", "--labels=7"])
  assert r.returncode == 1 and "gan_jax: error: --labels: unknown label '7'" in r.stderr
  assert "Traceback" not in r.stderr
  # interpolation strips: one row per pair, one column per step (per class for the switch)
  cond = ["--config=configs/test.py", f"--workdir={workdir}", "--config.model.conditional=True",
          "--mode=interpolate", "--config.interpolation.pairs=2"]
  r = run_main(cond + ["--config.interpolation.steps=3"])
  assert r.returncode == 0, r.stderr[-3000:]
  pngs = r.stdout.strip().splitlines()[-5:]
  names = [os.path.basename(p).split("_step")[0] for p in pngs]
  assert names == ["latent_linear", "latent_slerp", "pixel", "condition", "switch"]
  for name, png in zip(names, pngs):
    cols = 2 if name == "switch" else 3
    assert np.asarray(Image.open(png)).shape == (2 + 2 * 34, 2 + cols * 34), name
  r = run_main(cond + ["--config.interpolation.steps=1"])
  assert r.returncode == 1 and "interpolation needs pairs >= 1 and steps >= 2" in r.stderr


def test_misspelt_config_key_fails_naming_the_valid_keys(tmp_path):
  r = run_main(["--config=configs/test.py", f"--workdir={tmp_path}", "--config.model.latent_dimm=3"])
  assert r.returncode == 2
  assert "unknown config key 'model.latent_dimm'" in r.stderr
  from configs import default
  keys = ", ".join(sorted(default.get_config().model.keys()))
  assert f"Valid keys of model: {keys}." in r.stderr and "latent_dim, latent_dist" in r.stderr
  assert "Traceback" not in r.stderr
  r = run_main(["--config=configs/test.py", f"--workdir={tmp_path}", "--config.model.mlp.dropout=0"])
  assert r.returncode == 2 and "Valid keys of model.mlp: bn_scale_init, d_dropout, d_slope" in r.stderr


def test_a_preset_names_its_default_workdir_and_an_unknown_one_is_one_line(tmp_path):
  from gan_jax.cli import boot
  assert boot.default_workdir("configs/cgan_shapes.py:cpu") == os.path.join("runs",
                                                                          "cgan_shapes_cpu")
  assert boot.default_workdir("configs/cgan_shapes.py") == os.path.join("runs", "cgan_shapes")
  assert boot.default_workdir("configs/cgan_shapes.py:cpu", "ensemble") == os.path.join(
      "runs", "cgan_shapes_cpu_ensemble")
  r = run_main(["--config=configs/cgan_shapes.py:gpu", f"--workdir={tmp_path}"])
  assert r.returncode == 2 and "Traceback" not in r.stderr
  assert "unknown preset 'gpu' (known: cpu)" in r.stderr.splitlines()[-1], r.stderr[-2000:]
  r = run_main(["--config=configs/test.py:cpu", f"--workdir={tmp_path}"])
  assert r.returncode == 2 and "--config=configs/test.py:cpu" in r.stderr, r.stderr[-2000:]


@pytest.mark.parametrize("override,message", [
    ("--config.data.name=imagenet64", "unknown data.name 'imagenet64'; choose one of"),
    ("--config.data.batch_size=12", "does not divide across"),
    ("--config.g_optimizer.lr=0", "g_optimizer.lr must be > 0"),
    ("--config.num_train_steps=-3", "num_train_steps must be > 0"),
    ("--config.data.image_size=48", "image_size must be 4 * 2**n"),
    ("--config.model.name=mlp --config.model.mlp.d_dropout=1.5", "d_dropout must be in [0, 1)"),
])
def test_config_errors_are_one_line_without_a_traceback(tmp_path, override, message):
  r = run_main(["--config=configs/test.py", f"--workdir={tmp_path}", *override.split()], devices=8)
  assert r.returncode == 1, r.stderr[-2000:]
  errors = [ln for ln in r.stderr.splitlines() if ln.startswith("gan_jax: error: ")]
  assert len(errors) == 1 and message in errors[0], r.stderr[-2000:]
  assert "Traceback" not in r.stderr


def test_a_config_runs_from_any_working_directory(tmp_path):
  r = run_main([f"--config={ROOT}/configs/test.py", f"--workdir={tmp_path / 'w'}",
                "--config.num_train_steps=2"], cwd=str(tmp_path))
  assert r.returncode == 0, r.stderr[-3000:]


def test_no_dataset_source_reachable_fails_with_what_to_do(tmp_path):
  """No prepared TFDS, no network, no npm: one error line naming the ways out."""
  env = {"PATH": "/nonexistent", "GAN_JAX_CACHE": str(tmp_path / "cache"),
         "TFDS_DATA_DIR": str(tmp_path / "tfds")}
  r = run_main(["--config=configs/dcgan_mnist.py", f"--workdir={tmp_path / 'w'}",
                f"--config.data.tfds_data_dir={tmp_path / 'tfds'}",
                "--config.evals.fid.final=False"], env=env, timeout=120)
  assert r.returncode == 1
  assert "npm" in r.stderr and "TFDS" in r.stderr, r.stderr[-2000:]
  assert "Traceback" not in r.stderr


def _training(workdir, *extra, until="d_loss"):
  """A long test-config run in a subprocess, returned once a line holds ``until``."""
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  proc = subprocess.Popen(
      [sys.executable, "-m", "gan_jax.main", "--config=configs/test.py", f"--workdir={workdir}",
       "--config.num_train_steps=100000", "--config.checkpoint_every=100000",
       "--config.sample_every=100000", "--config.log_every=1", *extra],
      cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
  for line in proc.stderr:
    if until in line:
      break
  return proc


def test_sigterm_saves_a_checkpoint_and_the_same_command_resumes(tmp_path):
  workdir = str(tmp_path / "run")
  proc = _training(workdir)
  proc.send_signal(signal.SIGTERM)
  _, err = proc.communicate(timeout=120)
  assert proc.returncode == 128 + signal.SIGTERM, err[-3000:]  # stopped, not finished
  assert "checkpoint saved" in err and "Traceback" not in err
  steps = [int(s) for s in os.listdir(os.path.join(workdir, "checkpoints"))]
  assert len(steps) == 1 and 0 < steps[0] < 100000
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}",
                f"--config.num_train_steps={steps[0] + 2}"])
  assert r.returncode == 0, r.stderr[-3000:]
  assert f"Resuming from step {steps[0]}" in r.stderr


def readme_commands(prefix):
  """The documented shell commands (README.md and docs/*.md) that start with ``prefix``
  (continuation lines joined)."""
  text = "\n".join(open(p).read() for p in [os.path.join(ROOT, "README.md")]
                   + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))))
  blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
  joined = "\n".join(b.replace("\\\n", " ") for b in blocks)
  found = [" ".join(ln.split()) for ln in joined.splitlines() if ln.strip().startswith(prefix)]
  return list(dict.fromkeys(found))  # a command shown on two pages is one command


def test_readme_sweep_commands_give_every_point_its_own_workdir():
  """Each documented sweep command, run as written (dry run): every point of every sweep has its
  own workdir, and the name carries every overridden field."""
  commands = readme_commands("python launch/sweep.py")
  assert len(commands) >= 3
  workdirs = []
  for cmd in commands:
    r = subprocess.run([sys.executable, *_with_dry_run(shlex.split(cmd)[1:])],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (cmd, r.stderr)
    for line in r.stdout.strip().splitlines():
      args = shlex.split(line)
      workdir = next(a.split("=", 1)[1] for a in args if a.startswith("--workdir="))
      overrides = [a[len("--config."):].split("=", 1) for a in args if a.startswith("--config.")]
      name = os.path.basename(workdir)
      for key, value in overrides:
        assert f"{key.split('.')[-1]}{value}" in name or f"{key.split('.')[-1]}_{value}" in name \
            or key in name, (key, value, workdir)
      workdirs.append(workdir)
  assert len(workdirs) == len(set(workdirs)), sorted(workdirs)


def _with_dry_run(args):
  i = args.index("--") if "--" in args else len(args)
  return args[:i] + ["--dry_run"] + args[i:]


def test_sweep_expands_the_grid_with_tied_keys():
  r = subprocess.run(
      [sys.executable, "launch/sweep.py", "--config=configs/dcgan_mnist.py", "--dry_run",
       "--param=model.latent_dim=16,100", "--param=model.g_hidden,model.d_hidden=16,64",
       "--", "--config.seed=43"], cwd=ROOT, capture_output=True, text=True, timeout=60)
  assert r.returncode == 0, r.stderr
  lines = r.stdout.strip().splitlines()
  assert len(lines) == 4
  assert "--workdir=runs/dcgan_mnist/latent_dim100_g_hidden64_d_hidden64_seed43" in lines[3]
  assert "--config.model.g_hidden=64 --config.model.d_hidden=64" in lines[3]
  assert all("--config.seed=43" in line for line in lines)


def test_wgan_run_logs_the_critics_wasserstein_estimate_every_step(tmp_path):
  workdir = str(tmp_path / "wgan")
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--config.loss.name=wgan",
                "--config.loss.d_steps=2", "--config.g_optimizer.name=rmsprop",
                "--config.d_optimizer.name=rmsprop", "--config.g_optimizer.lr=5e-5",
                "--config.d_optimizer.lr=5e-5", "--config.log_every=1", "--config.log_scalars=point",
                "--config.num_train_steps=4"])
  assert r.returncode == 0, r.stderr[-3000:]
  series = scalar_series(events(workdir), "wasserstein")
  assert sorted(series) == [1, 2, 3, 4] and all(np.isfinite(v) for v in series.values())
  assert "wasserstein" in r.stderr


@pytest.mark.parametrize("module", ["gan_jax.main", "gan_jax.ensemble"])
def test_a_missing_config_file_is_one_line_naming_it(tmp_path, module):
  r = subprocess.run([sys.executable, "-m", module, "--config=configs/no_such_config.py",
                      f"--workdir={tmp_path}"], cwd=ROOT, capture_output=True, text=True,
                     timeout=120)
  assert r.returncode == 2
  assert "Traceback" not in r.stderr
  errors = [ln for ln in r.stderr.splitlines() if "error:" in ln]
  assert len(errors) == 1 and "no such config file 'configs/no_such_config.py'" in errors[0]



@pytest.mark.parametrize("gap", [0.02, 0.1])
def test_a_schedulers_two_sigterms_still_end_in_a_complete_checkpoint(tmp_path, gap):
  """srun and slurmstepd both signal a task at a SLURM time limit, within the same second:
  the second SIGTERM is ignored while the first one's checkpoint is written, the line
  "checkpoint saved" is true, and the same command resumes from it."""
  workdir = str(tmp_path / "run")
  proc = _training(workdir)
  proc.send_signal(signal.SIGTERM)
  time.sleep(gap)
  proc.send_signal(signal.SIGTERM)
  _, err = proc.communicate(timeout=120)
  assert proc.returncode == 128 + signal.SIGTERM, err[-3000:]
  assert "checkpoint saved" in err and "Traceback" not in err
  names = os.listdir(os.path.join(workdir, "checkpoints"))
  assert len(names) == 1 and names[0].isdigit(), names  # complete, no orbax tmp folder
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}",
                f"--config.num_train_steps={int(names[0]) + 1}"])
  assert r.returncode == 0 and f"Resuming from step {names[0]}" in r.stderr, r.stderr[-3000:]


def test_a_second_process_on_a_run_folder_stops_naming_the_writer_and_a_dead_one_is_taken_over(
    tmp_path):
  workdir = str(tmp_path / "run")
  first = _training(workdir, "--config.checkpoint_every=5", until="step 6/")
  second = run_main(["--config=configs/test.py", f"--workdir={workdir}",
                     "--config.num_train_steps=100000"])
  assert second.returncode == 1, second.stderr[-3000:]
  last = second.stderr.strip().splitlines()[-1]
  assert last.startswith(f"gan_jax: error: {workdir} is being written by another run")
  assert f"pid {first.pid}" in last and "Traceback" not in second.stderr
  evaluated = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--mode=eval",
                        "--config.evals.fid.final=True"])  # refused before any weights load
  assert evaluated.returncode == 1 and "is being written by another run" in evaluated.stderr
  first.send_signal(signal.SIGKILL)  # the writer dies without a word
  first.wait()
  steps = sorted(int(s) for s in os.listdir(os.path.join(workdir, "checkpoints")) if s.isdigit())
  resumed = run_main(["--config=configs/test.py", f"--workdir={workdir}",
                      f"--config.num_train_steps={steps[-1] + 2}",
                      "--config.evals.fid.final=False"])
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  assert f"Resuming from step {steps[-1]}" in resumed.stderr
  assert not os.path.exists(os.path.join(workdir, ".writer.lock"))


def _tmpfs(path, size="3m") -> bool:
  """Mounts a small tmpfs at ``path`` (root only); False where it cannot."""
  os.makedirs(path, exist_ok=True)
  if os.geteuid() != 0:
    return False
  r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                     capture_output=True)
  return r.returncode == 0


def test_a_full_disk_is_one_line_keeps_the_newest_checkpoint_and_resumes(tmp_path):
  """A real full disk: a 3 MB tmpfs (this machine's tests run as root; elsewhere the test
  skips, and the next one makes the writer fail instead)."""
  disk = tmp_path / "disk"
  if not _tmpfs(disk):
    pytest.skip("cannot mount a tmpfs here (not root)")
  try:
    workdir = str(disk / "run")
    r = run_main(["--config=configs/test.py", f"--workdir={workdir}",
                  "--config.num_train_steps=400", "--config.checkpoint_every=1",
                  "--config.keep_checkpoints=400", "--config.log_every=50"])
    assert r.returncode == 1, r.stderr[-3000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("gan_jax: error: Writing the checkpoint of step ")
    assert f"in {workdir}/checkpoints failed: no space left on the device" in last
    assert "Traceback" not in r.stderr and r.stderr.count("RESOURCE_EXHAUSTED") == 0
    assert "less than the" in r.stderr  # the start-up warning: 400 checkpoints do not fit
    names = os.listdir(os.path.join(workdir, "checkpoints"))
    assert all(n.isdigit() for n in names), names  # the partial save is gone
    newest = max(int(n) for n in names)
    for n in names:  # room again: keep the newest only
      if int(n) != newest:
        shutil.rmtree(os.path.join(workdir, "checkpoints", n))
    r = run_main(["--config=configs/test.py", f"--workdir={workdir}",
                  f"--config.num_train_steps={newest + 2}", "--config.checkpoint_every=1",
                  "--config.keep_checkpoints=1"])
    assert r.returncode == 0 and f"Resuming from step {newest}" in r.stderr, r.stderr[-3000:]
  finally:
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_save_that_fails_for_room_is_one_error_and_leaves_no_partial_folder(tmp_path,
                                                                              monkeypatch):
  """The writer made to fail (for machines where no tmpfs can be mounted): orbax's save
  raising ENOSPC, as its worker threads do, becomes one DiskFullError."""
  import errno

  import jax.numpy as jnp

  from gan_jax.runs import checkpoints
  from gan_jax.utils.errors import DiskFullError
  ckpt = checkpoints.Checkpointer(str(tmp_path / "ckpt"), keep=3)
  ckpt.save(1, {"w": jnp.ones(4)}, {})
  partial = tmp_path / "ckpt" / "2.orbax-checkpoint-tmp-1"

  def full(*a, **k):
    partial.mkdir()
    raise ValueError("RESOURCE_EXHAUSTED: Failed writing: \"x\": No space left on device")
  monkeypatch.setattr(ckpt.manager, "save", full)
  with pytest.raises(DiskFullError, match="no space left on the device") as e:
    ckpt.save(2, {"w": jnp.ones(4)}, {})
  assert "checkpoint of step 2" in str(e.value) and "it needs about" in str(e.value)
  assert not partial.exists() and ckpt.latest_step() == 1
  ckpt.close()
  assert checkpoints.disk.explain(OSError(errno.EROFS, "ro", "/x/y")).startswith(
      "Writing y in /x failed: the file system is read-only")
