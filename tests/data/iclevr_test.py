"""i-CLEVR as released (``data.name=iclevr``): objects.json's label order, RGBA read as RGB,
the splits, the evaluation condition lists, one-line errors for a damaged folder, and a
conditional GAN trained, evaluated with the i-CLEVR score on both lists and sampled by object
names through the real reader."""

import json
import os

import numpy as np
import pytest
from formats import ICLEVR_OBJECTS, write_iclevr
from helpers import run_main

from gan_jax import data
from gan_jax.data import iclevr


@pytest.fixture
def folder(tmp_path):
  root = str(tmp_path / "iclevr")
  return root, write_iclevr(root, n=40)


def test_reads_the_released_layout_in_objects_json_order(folder):
  root, train = folder
  src = data.load_split("iclevr", "train", folder=root)
  assert len(src) == 40 and src.channels == 3
  first = sorted(train)[0]
  image, label = src.read_image(0)
  assert image.shape == (240, 320, 3) and image.dtype == np.uint8  # RGBA read as RGB
  want = np.zeros(24, np.float32)
  want[[ICLEVR_OBJECTS.index(n) for n in train[first]]] = 1  # objects.json's indices
  np.testing.assert_array_equal(label, want)
  assert ICLEVR_OBJECTS != sorted(ICLEVR_OBJECTS)  # the order is the file's, not sorted
  from formats import CLEVR_COLOURS, ICLEVR_SHAPES
  from gan_jax.data import shapes
  assert CLEVR_COLOURS == shapes.COLOUR_NAMES and tuple(ICLEVR_SHAPES) == shapes.SHAPES
  test, judge = (data.load_split("iclevr", s, folder=root) for s in ("test", "judge_train"))
  assert len(test) == 4 and len(judge) == 36
  assert not set(test.files) & set(judge.files)  # the judge's held-out images are held out
  spec = iclevr.resolve(type("D", (), {"folder": root})())
  assert spec.class_names == tuple(ICLEVR_OBJECTS) and spec.num_classes == 24
  conds = json.load(open(os.path.join(root, "new_test.json")))
  got = spec.condition_lists("new_test")
  assert got.shape == (8, 24)
  assert [sorted(ICLEVR_OBJECTS[j] for j in np.flatnonzero(r)) for r in got] == [
      sorted(c) for c in conds]


@pytest.mark.parametrize("damage,message", [
    ("objects", "objects.json is missing"),
    ("image", "names 1 image(s) that"),
    ("condition", "entry 0 names 'pink cube', which objects.json does not hold"),
])
def test_a_damaged_folder_is_one_line_naming_the_file(folder, damage, message):
  root, train = folder
  if damage == "objects":
    os.remove(os.path.join(root, "objects.json"))
  elif damage == "image":
    os.remove(os.path.join(root, "images", sorted(train)[3]))
  else:
    json.dump([["pink cube"]], open(os.path.join(root, "test.json"), "w"))
  iclevr.objects.cache_clear()
  iclevr._catalogue.cache_clear()
  with pytest.raises(data.DatasetUnavailableError, match=message.replace("(", r"\(").replace(
      ")", r"\)")):
    data.load_split("iclevr", "train", folder=root)
    iclevr.condition_list(root, "test")


def test_the_shapes_cgan_trains_on_iclevr_scores_both_lists_and_samples_by_name(tmp_path):
  """configs/cgan_shapes.py:cpu with the documented override, a few steps, a small judge
  (80 images: its recipe's batch of 64 fits the 72 it trains on)."""
  root = str(tmp_path / "iclevr")
  write_iclevr(root, n=80)
  workdir = str(tmp_path / "run")
  args = ["--config=configs/cgan_shapes.py:cpu", f"--workdir={workdir}",
          "--config.data.name=iclevr", f"--config.data.folder={root}",
          "--config.data.fit=squash", f"--config.data.cache_dir={tmp_path / 'cache'}",
          "--config.data.batch_size=8", "--config.num_train_steps=4",
          "--config.sample_every=4", "--config.checkpoint_every=4", "--config.log_every=2",
          "--config.evals.conditional_score.every=0",
          "--config.evals.conditional_score.classifier_steps=10",
          "--config.evals.conditional_score.classifier_widths=8,8,8",
          "--config.evals.condition_diversity.final=False"]
  r = run_main(args, timeout=600)
  assert r.returncode == 0, r.stderr[-3000:]
  assert "i-CLEVR" in r.stderr and "80 images" in r.stderr
  results = json.load(open(os.path.join(workdir, "results.json")))
  score = next(x for x in results if x["evaluator"] == "conditional_score")
  assert 0 <= score["score_test"] <= 1 and 0 <= score["score_new_test"] <= 1
  r = run_main(args + ["--mode=sample", "--labels=red cube,blue sphere;yellow cylinder"])
  assert r.returncode == 0, r.stderr[-3000:]
  # judged by the course's evaluator (its checkpoint.pth, here with random weights)
  import torch_save_format
  from formats import course_judge_state_dict
  ckpt = tmp_path / "checkpoint.pth"
  ckpt.write_bytes(torch_save_format.dumps(course_judge_state_dict(0), wrap="model"))
  r = run_main(args + ["--mode=eval", f"--config.evals.conditional_score.judge={ckpt}"])
  assert r.returncode == 0, r.stderr[-3000:]
  results = json.load(open(os.path.join(workdir, "results.json")))
  course = [x for x in results if x["evaluator"] == "conditional_score"][-1]
  assert "course's evaluator" in course["protocol"]["classifier"]["judge"]
  assert 0 <= course["score_test"] <= 1


@pytest.mark.parametrize("name", ["cgan_shapes", "acgan_shapes", "wgan_shapes", "cbegan_shapes"])
def test_each_shapes_config_takes_iclevr_with_the_documented_override(folder, name):
  """The four shapes configs (cpu presets) on i-CLEVR as released: one step through the real
  reader, the conditions over objects.json's 24 objects."""
  import importlib

  from gan_jax.training.build import Experiment
  from gan_jax.utils import parallel
  root, _ = folder
  config = importlib.import_module(f"configs.{name}").get_config("cpu")
  config.data.name, config.data.folder, config.data.fit = "iclevr", root, "squash"
  config.data.batch_size = 8
  exp = Experiment(config, parallel.make_mesh(1))
  assert exp.condition.num_classes == 24 and exp.spec.class_names[0] == "gray cube"
  state = exp.init_state()
  batch = next(exp.data.train_batches(exp.data.load_split("train"), 0, 1))
  state, metrics = exp.train_step(state, exp.put_batch(batch))
  assert bool(metrics["finite"])
