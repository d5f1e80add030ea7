"""The Python face: ``gan_jax.load_run`` on a run folder and on an exported generator."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT, run_main

import gan_jax
from gan_jax.utils.errors import CheckpointError, ConfigError, GanJaxError


SMALL_CRITIC = ["--config.evals.wasserstein.critic_steps=4",
                "--config.evals.wasserstein.final_num_samples=32",
                "--config.evals.wasserstein.reference_count=32",
                "--config.evals.wasserstein.batch_size=8"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """A conditional test run with an EMA of G, checkpoints at steps 2 and 4."""
  workdir = str(tmp_path_factory.mktemp("trained") / "run")
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}",
                "--config.num_train_steps=4", "--config.checkpoint_every=2",
                "--config.ema_decay=0.9", "--config.model.conditional=True", *SMALL_CRITIC])
  assert r.returncode == 0, r.stderr[-2000:]
  return workdir


def test_importing_the_package_imports_no_jax_and_no_tensorflow():
  code = ("import sys, gan_jax; loaded = [m for m in sys.modules if m.split('.')[0] in "
          "('jax', 'flax', 'tensorflow')]; assert not loaded, loaded")
  r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
  assert r.returncode == 0, r.stderr[-2000:]


def test_a_run_samples_interpolates_and_exposes_its_generator(trained):
  run = gan_jax.load_run(trained)
  assert run.step == 4 and run.weights == "ema"
  images = run.sample(8, seed=0)
  assert images.shape == (8, 32, 32, 1) and images.dtype == np.uint8
  np.testing.assert_array_equal(images, run.sample(8, seed=0))
  assert not np.array_equal(images, run.sample(8, seed=1))
  by_name = run.sample(4, labels=["disc", "square"], seed=2)
  np.testing.assert_array_equal(by_name, run.sample(4, labels=[0, 1], seed=2))
  frames = run.interpolate(num=6, seed=0)
  assert frames.shape == (6, 32, 32, 1)
  # the first frame is draw 0 of the seed, as sample() draws it
  np.testing.assert_array_equal(frames[0], run.sample(1, seed=0)[0])
  import jax.numpy as jnp
  z = jnp.zeros((2, run.config.model.latent_dim))
  out = run.generator.apply(run.variables, z, jnp.asarray([0, 1]), train=False)
  assert out.shape == (2, 32, 32, 1)
  with pytest.raises(ConfigError, match="unknown label"):
    run.sample(2, labels=["triangle"])


def test_raw_weights_and_an_older_step(trained):
  ema, raw = gan_jax.load_run(trained), gan_jax.load_run(trained, params="raw")
  assert raw.weights == "raw"
  assert not np.array_equal(ema.sample(4), raw.sample(4))
  older = gan_jax.load_run(trained, step=2)
  assert older.step == 2 and not np.array_equal(older.sample(4), ema.sample(4))
  with pytest.raises(CheckpointError, match="step 3"):
    gan_jax.load_run(trained, step=3)


def test_an_exported_generator_is_one_small_file_that_samples_the_same(trained, tmp_path):
  run = gan_jax.load_run(trained)
  path = run.export(str(tmp_path / "g.msgpack"))
  from flax import serialization
  with open(path, "rb") as f:
    blob = serialization.msgpack_restore(f.read())
  assert set(blob) == {"format", "config", "spec", "step", "g_params", "g_batch_stats",
                       "g_ema_params"}  # no discriminator, optimizer or data state
  checkpoint = sum(os.path.getsize(os.path.join(d, f))
                   for d, _, fs in os.walk(os.path.join(trained, "checkpoints", "4")) for f in fs)
  assert os.path.getsize(path) < checkpoint / 2
  again = gan_jax.load_run(path)
  assert again.step == 4
  np.testing.assert_array_equal(again.sample(8, labels=[1], seed=3), run.sample(8, labels=[1], seed=3))
  np.testing.assert_array_equal(gan_jax.load_run(path, params="raw").sample(4),
                                gan_jax.load_run(trained, params="raw").sample(4))


def test_export_mode_writes_the_file_load_run_opens(trained):
  r = run_main(["--config=configs/test.py", f"--workdir={trained}", "--mode=export",
                "--config.model.conditional=True", "--config.ema_decay=0.9", *SMALL_CRITIC])
  assert r.returncode == 0, r.stderr[-2000:]
  path = r.stdout.strip().splitlines()[-1]
  assert path == os.path.join(trained, "generator_step000004.msgpack")
  np.testing.assert_array_equal(gan_jax.load_run(path).sample(4), gan_jax.load_run(trained).sample(4))


def test_evaluate_records_in_the_run_as_eval_mode_does(trained, tmp_path):
  run = gan_jax.load_run(trained)
  scalars = run.evaluate("wasserstein")
  assert "critic_wasserstein" in scalars
  from gan_jax.runs.run_folder import RunFolder
  finals = RunFolder(trained).final_records()
  assert finals["wasserstein"]["step"] == 4
  assert finals["wasserstein"]["critic_wasserstein"] == scalars["critic_wasserstein"]
  exported = gan_jax.load_run(run.export(str(tmp_path / "g.msgpack")))
  assert exported.evaluate("wasserstein") == scalars  # same samples, nothing recorded
  with pytest.raises(ConfigError, match="no evaluator 'fjd'"):
    run.evaluate("fjd")


def test_what_is_not_a_run_is_refused_in_one_line(trained, tmp_path):
  with pytest.raises(GanJaxError, match="not a run folder"):
    gan_jax.load_run(str(tmp_path))
  junk = tmp_path / "junk.msgpack"
  junk.write_bytes(b"not msgpack at all")
  with pytest.raises(GanJaxError, match="not a generator exported by gan_jax"):
    gan_jax.load_run(str(junk))
  other = tmp_path / "other"
  os.makedirs(other)
  os.symlink(os.path.join(trained, "checkpoints"), other / "checkpoints")
  with open(os.path.join(trained, "config.json")) as f:
    config = json.load(f)
  config["model"]["latent_dim"] += 1
  (other / "config.json").write_text(json.dumps(config))
  with pytest.raises(CheckpointError, match="latent_dim"):
    gan_jax.load_run(str(other))


def test_multi_hot_conditions_by_tag_names_or_indices(tmp_path):
  workdir = str(tmp_path / "tags")
  r = run_main(["--config=configs/test.py", f"--workdir={workdir}", "--config.num_train_steps=2",
                "--config.data.name=synthetic_tags", "--config.model.conditional=True"])
  assert r.returncode == 0, r.stderr[-2000:]
  run = gan_jax.load_run(workdir)
  names = run.class_names
  assert names == ["square", "bright", "large"]
  y = run.labels([[names[0], names[2]], [1]])
  np.testing.assert_array_equal(y, [[1, 0, 1], [0, 1, 0]])
  np.testing.assert_array_equal(run.sample(4, labels=[[names[0], names[2]]], seed=0),
                                run.sample(4, labels=[[0, 2]], seed=0))
