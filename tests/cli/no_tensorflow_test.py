"""The run path without TensorFlow: with ``tensorflow`` and ``tensorflow_datasets`` made
unimportable, the test config trains end to end (TensorBoard events, grids, checkpoints, the
final FID), resumes, samples and evaluates; a prepared real dataset (the MNIST subset, written
by TFDS in the shared cache) trains; and ``gan_jax.fid`` reads it. TensorFlow and TFDS only
prepare data."""

import json
import os
import subprocess
import sys

from helpers import ROOT, xla_flags

BLOCKER = """
import runpy, sys
for name in ("tensorflow", "tensorflow_datasets"):
  sys.modules[name] = None  # `import tensorflow` raises ImportError
module, sys.argv = sys.argv[1], [sys.argv[1]] + sys.argv[2:]
try:
  runpy.run_module(module, run_name="__main__", alter_sys=True)
finally:
  loaded = [m for m, v in sys.modules.items() if v is not None and (
            m.split(".")[0] in ("tensorflow", "tensorflow_datasets")
            or m.startswith("clu.metric_writers"))]  # clu's parameter tables are welcome
  assert not loaded, loaded
"""


def without_tf(module, args, tmp_path, timeout=600):
  script = tmp_path / "without_tf.py"
  script.write_text(BLOCKER)
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  return subprocess.run([sys.executable, str(script), module, *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=timeout)


def test_train_resume_sample_and_evaluate_without_tensorflow(tmp_path, fid_cache):
  workdir = str(tmp_path / "run")
  common = ["--config=configs/test.py", f"--workdir={workdir}",
            f"--config.evals.fid.cache_dir={fid_cache}", "--config.evals.fid.final=True"]
  r = without_tf("gan_jax.main", common + ["--config.num_train_steps=6"], tmp_path)
  assert r.returncode == 0, r.stderr[-3000:]
  r = without_tf("gan_jax.main", common, tmp_path)  # resumes from step 6 to 12
  assert r.returncode == 0, r.stderr[-3000:]
  assert "Resumed" in r.stderr or "resum" in r.stderr.lower(), r.stderr[-2000:]
  with open(os.path.join(workdir, "results.json")) as f:
    finals = [x for x in json.load(f) if x.get("final")]
  assert {x["evaluator"] for x in finals} == {"fid"}
  assert [x["step"] for x in finals] == [6, 12]  # each run's end
  assert os.path.exists(os.path.join(workdir, "samples", "step_000012.png"))
  from tensorboard.backend.event_processing import event_accumulator
  acc = event_accumulator.EventAccumulator(workdir, size_guidance={"tensors": 0, "images": 0})
  acc.Reload()
  assert {"d_loss", "samples", "final_fid"} <= set(acc.Tags()["tensors"])
  from tensorboard.util import tensor_util
  grid = tensor_util.make_ndarray(acc.Tensors("samples")[-1].tensor_proto)
  assert grid[:2].tolist() == [b"138", b"138"] and grid[2].startswith(b"\x89PNG")
  assert sorted(e.step for e in acc.Tensors("d_loss")) == [4, 6, 8, 12]  # 6: the first run's end
  r = without_tf("gan_jax.main", common + ["--mode=sample"], tmp_path)
  assert r.returncode == 0, r.stderr[-3000:]
  r = without_tf("gan_jax.main", common + ["--mode=eval"], tmp_path)
  assert r.returncode == 0, r.stderr[-3000:]


def test_a_prepared_dataset_trains_and_gan_jax_fid_reads_it_without_tensorflow(
    tmp_path, offline_cache, fid_cache):
  workdir = str(tmp_path / "mnist")
  r = without_tf("gan_jax.main", [
      "--config=configs/test.py", f"--workdir={workdir}", "--config.data.name=mnist",
      f"--config.data.cache_dir={offline_cache}", "--config.data.source=offline",
      "--config.data.resize=pad", "--config.num_train_steps=4"], tmp_path)
  assert r.returncode == 0, r.stderr[-3000:]
  assert "MNIST SUBSET" in r.stderr and "array_record" in r.stderr
  r = without_tf("gan_jax.fid", [
      "dataset:mnist:test:64", "dataset:mnist:train:64", f"--cache_dir={fid_cache}",
      f"--data_cache_dir={offline_cache}", "--batch_size=32"], tmp_path)
  assert r.returncode == 0, r.stderr[-3000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert out["fid"] > 0


def test_preparing_a_dataset_without_tensorflow_says_what_to_install(tmp_path):
  """An install without the ``prepare`` extra trains on prepared data; asked to prepare one,
  it stops in one line naming what to install."""
  r = without_tf("gan_jax.main", [
      "--config=configs/test.py", f"--workdir={tmp_path / 'run'}",
      "--config.data.name=shapes_small", "--config.data.resize=area",
      f"--config.data.tfds_data_dir={tmp_path / 'tfds'}",
      f"--config.data.cache_dir={tmp_path / 'cache'}", "--config.num_train_steps=2"], tmp_path)
  assert r.returncode == 1, r.stderr[-3000:]
  last = r.stderr.strip().splitlines()[-1]
  assert last.startswith("gan_jax: error: Preparing gan_jax_shapes/small needs TensorFlow and "
                         "TensorFlow Datasets")
  assert 'pip install -e ".[prepare]"' in last and "Traceback" not in r.stderr


def test_event_files_are_written_without_importing_an_installed_tensorflow(tmp_path):
  """TensorFlow is installed here; TensorBoard's file layer would import it (seconds of every
  start) unless told to use its own stub, which writes the same files."""
  code = ("import sys; from gan_jax.runs import events; w = events.EventWriter(sys.argv[1]); "
          "w.write_scalars(1, {'loss': 0.5}); w.close(); "
          "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'")
  r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT,
                     capture_output=True, text=True, timeout=120)
  assert r.returncode == 0, r.stderr[-2000:]
  import importlib.util
  assert importlib.util.find_spec("tensorflow") is not None  # the case this test is about
  from tensorboard.backend.event_processing import event_accumulator
  acc = event_accumulator.EventAccumulator(str(tmp_path))
  acc.Reload()
  assert [e.step for e in acc.Tensors("loss")] == [1]
