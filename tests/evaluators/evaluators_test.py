"""Evaluators: FID/KID/IS of generators through the evaluator protocol, eval mode, results
JSON, sample draws independent of batch size and devices, the CLI, sanity."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch_save_format
from helpers import ROOT, xla_flags
from PIL import Image

from gan_jax.inference.evaluate import evaluate
from gan_jax.generation.restore import restore_generator
from gan_jax.metrics import features
from gan_jax.metrics import stats as fid_stats
from gan_jax.metrics import weights as inception_weights
from gan_jax.training import train
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError


@pytest.fixture
def eval_config(test_config, fid_cache):
  test_config.evals.fid.cache_dir = fid_cache
  return test_config


def fid_evaluator(exp):
  (ev,) = [e for e in exp.evaluators(enabled_only=False) if e.name == "fid"]
  return ev


def test_periodic_final_and_eval_mode_results_carry_their_protocol(eval_config, tmp_path):
  mesh = parallel.make_mesh(8)
  eval_config.num_train_steps = 2
  eval_config.evals.fid.every = 1      # periodic evaluation at step 1
  eval_config.evals.fid.final = True   # and the final protocol at step 2
  train.train_and_evaluate(eval_config, str(tmp_path), mesh)
  # Stopped during its final evaluation (checkpoint at the last step, no final result):
  # training again runs only the missing evaluation, with the same number.
  first = json.load(open(tmp_path / "results.json"))
  json.dump(first[:1], open(tmp_path / "results.json", "w"))
  train.train_and_evaluate(eval_config, str(tmp_path), mesh)
  again = json.load(open(tmp_path / "results.json"))
  assert [(r["evaluator"], r["step"], r["final"]) for r in again] == [("fid", 1, False), ("fid", 2, True)]
  assert again[1]["fid"] == pytest.approx(first[1]["fid"], rel=1e-6)
  result = evaluate(eval_config, str(tmp_path), mesh)
  assert result["step"] == 2
  assert np.isfinite(result["fid"]) and result["fid"] > 0 and np.isfinite(result["kid"])
  with open(tmp_path / "results.json") as f:
    saved = json.load(f)
  assert [(r["evaluator"], r["step"], r["final"]) for r in saved] == [
      ("fid", 1, False), ("fid", 2, True), ("fid", 2, True)]
  # The final evaluation during training and --mode=eval on its checkpoint agree.
  assert saved[1]["fid"] == pytest.approx(result["fid"], rel=1e-6)
  assert saved[-1]["fid"] == result["fid"] and saved[-1]["step"] == 2
  p = saved[-1]["protocol"]
  assert p["resize"] == "tf1_bilinear" and p["num_generated"] == 16
  # precision/recall/density/coverage from the same features, their k recorded
  assert p["prdc"]["k"] == 5 and p["prdc"]["fake"] == 16
  assert all(0 <= saved[-1][m] <= 1 for m in ("precision", "recall", "coverage"))
  assert p["weights_archive_sha256"].startswith("7ff4a85c")
  ref = p["reference"]
  assert ref["name"] == "synthetic" and ref["count"] == 32 and ref["subset"] == "random, seed 0"
  assert "32 of 256 images, random subset seed 0" in ref["source"]
  # Same checkpoint, same protocol: same number (cached reference statistics reused).
  assert evaluate(eval_config, str(tmp_path), mesh)["fid"] == pytest.approx(result["fid"], rel=1e-6)


def test_evaluation_samples_do_not_depend_on_batch_size_or_device_count(eval_config, tmp_path):
  """The same checkpoint under the same protocol draws the same samples on 1 or 8 devices
  and with any Inception batch size, and so gets the same FID."""
  eval_config.model.conditional = True
  eval_config.num_train_steps = 2
  train.train_and_evaluate(eval_config, str(tmp_path), parallel.make_mesh(1))
  drawn, fids = [], []
  for devices, batch in ((1, 8), (8, 8), (8, 16), (1, 24)):
    exp = Experiment(eval_config, parallel.make_mesh(devices))
    state, _ = restore_generator(exp, str(tmp_path))
    drawn.append(exp.sampling.generate(state, 20, 1234, batch))
    if (devices, batch) in ((1, 8), (8, 16)):  # the whole evaluator on the two extremes
      eval_config.evals.fid.batch_size = batch
      ev = fid_evaluator(Experiment(eval_config, parallel.make_mesh(devices)))
      fids.append(ev.evaluate(lambda n, s, bs: exp.sampling.generate(state, n, s, bs), 2, True).scalars["fid"])
  (images, labels) = drawn[0]
  assert images.shape == (20, 32, 32, 1) and labels.shape == (20,)
  for other_images, other_labels in drawn[1:]:
    np.testing.assert_array_equal(other_labels, labels)
    assert np.abs(other_images.astype(int) - images.astype(int)).max() <= 1
    assert np.mean(other_images == images) > 0.999
  assert max(fids) - min(fids) <= 1e-3 * abs(fids[0])


def test_eval_mode_prints_every_metric_as_json(eval_config, pytorch_fid_weights, tmp_path):
  from helpers import run_main
  mesh = parallel.make_mesh(1)
  eval_config.num_train_steps = 2
  train.train_and_evaluate(eval_config, str(tmp_path), mesh)
  r = run_main(["--config=configs/test.py", f"--workdir={tmp_path}", "--mode=eval",
                "--config.num_train_steps=2", f"--config.evals.fid.cache_dir={eval_config.evals.fid.cache_dir}",
                f"--config.evals.fid.weights={pytorch_fid_weights[0]}", "--config.evals.fid.final=True",
                "--config.evals.fid.allow_unverified_weights=True", "--config.evals.fid.inception_score=True",
                "--config.evals.fid.is_splits=2"], timeout=600)
  assert r.returncode == 0, r.stderr[-3000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert set(out) == {"step", "fid", "kid", "inception_score", "inception_score_std",
                      "precision", "recall", "density", "coverage"}
  assert out["step"] == 2 and all(np.isfinite(v) for v in out.values())


@pytest.fixture(scope="module")
def pytorch_fid_weights(fid_cache, tmp_path_factory):
  """A pytorch-fid-format .pth (legacy torch.save) of the fetched weights plus a seeded fc."""
  params, _ = inception_weights.load(fid_cache)
  sd = torch_save_format.pytorch_fid_state_dict(params)
  path = tmp_path_factory.mktemp("pytorch_fid") / "pt_inception_test.pth"
  path.write_bytes(torch_save_format.dumps(sd, legacy=True))
  return str(path), sd["fc.weight"]


def test_inception_score_equals_the_networks_own_logits(eval_config, pytorch_fid_weights):
  mesh = parallel.make_mesh(8)
  fid = eval_config.evals.fid
  fid.inception_score = True
  with pytest.raises(fid_stats.MetricInputError, match="pt_inception-2015-12-05-6726825d.pth"):
    fid_evaluator(Experiment(eval_config, mesh)).prepare()  # default weights: no logits
  fid.weights = pytorch_fid_weights[0]
  with pytest.raises(inception_weights.WeightsError, match="allow_unverified_weights"):
    fid_evaluator(Experiment(eval_config, mesh)).prepare()
  fid.allow_unverified_weights = True
  fid.is_splits = 2
  exp = Experiment(eval_config, mesh)
  evaluator = fid_evaluator(exp)
  state = exp.init_state()
  result = evaluator.evaluate(lambda n, s, bs: exp.sampling.generate(state, n, s, bs), 0, True)
  # IS from the network's own logits equals IS from the features through fc (no bias)
  from gan_jax.metrics import inception
  from gan_jax.metrics import preprocess as fid_preprocess
  images, _ = exp.sampling.generate(state, 16, fid.seed, 8)
  x = fid_preprocess.to_inception_input(images, "tf1_bilinear")
  params, _ = inception_weights.load(fid.cache_dir, pytorch_fid_weights[0], allow_unverified=True)
  _, logits = inception.InceptionV3(logits=True).apply({"params": params}, x)
  want = fid_stats.inception_score(np.asarray(logits), 2)
  assert result.scalars["inception_score"] == pytest.approx(want[0], rel=1e-4)
  assert result.scalars["inception_score_std"] == pytest.approx(want[1], rel=1e-3, abs=1e-5)
  assert result.protocol["weights_kind"] == "pytorch_fid"
  assert result.protocol["inception_score"]["splits"] == 2
  assert np.isfinite(result.scalars["fid"])


def test_fid_grows_with_noise_and_is_zero_on_itself(fid_cache):
  """FID of a set against itself is 0 and grows with the noise added (that the same images
  give the same features twice is tests/metrics/inception_test.py's)."""
  from gan_jax import data
  ext = features.FeatureExtractor(parallel.make_mesh(8), fid_cache, batch_size=8)
  clean = data.synthetic.synthetic("test", 32, image_size=32).images
  rng = np.random.default_rng(0)
  base = ext(clean)
  fids = [fid_stats.frechet_distance(*_stats(base), *_stats(base))[0]]
  for sigma in (20, 60):
    noisy = np.clip(clean + rng.normal(0, sigma, clean.shape), 0, 255).astype(np.uint8)
    f = ext(noisy)
    fids.append(fid_stats.frechet_distance(*_stats(base), *_stats(f))[0])
  assert abs(fids[0]) < 1e-3 and fids[0] < fids[1] < fids[2], fids


def _stats(feats):
  return features.statistics(feats)


def run_cli(args, fid_cache):
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  return subprocess.run([sys.executable, "-m", "gan_jax.fid", *args, f"--cache_dir={fid_cache}",
                         "--batch_size=8", "--kid_subsets=5"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)


def test_cli_reads_folders_npz_and_saved_stats_and_names_an_unreadable_image(fid_cache, tmp_path):
  from gan_jax import data
  imgs = data.synthetic.synthetic("test", 24, image_size=32).images
  folder = tmp_path / "pngs"
  folder.mkdir()
  for i, im in enumerate(imgs):
    Image.fromarray(im[..., 0]).save(folder / f"{i:03d}.png")
  other = np.clip(imgs.astype(int) + 40, 0, 255).astype(np.uint8)
  np.savez(tmp_path / "other.npz", images=other)
  stats = str(tmp_path / "stats.npz")
  r = run_cli([str(folder), str(tmp_path / "other.npz"), f"--save_stats={stats}"], fid_cache)
  assert r.returncode == 0, r.stderr[-3000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert out["n_a"] == 24 and out["fid"] > 0 and out["protocol"]["resize"] == "tf1_bilinear"
  r2 = run_cli([stats, str(tmp_path / "other.npz")], fid_cache)
  assert json.loads(r2.stdout.strip().splitlines()[-1])["fid"] == pytest.approx(out["fid"], rel=1e-9)

  (folder / "broken.png").write_bytes(b"not a png")
  r3 = run_cli([str(folder), stats], fid_cache)
  assert r3.returncode == 1 and "Cannot read image" in r3.stderr and "broken.png" in r3.stderr


def test_cli_inception_score_needs_logits_and_lies_between_1_and_1008(fid_cache, pytorch_fid_weights, tmp_path):
  from gan_jax import data
  np.savez(tmp_path / "a.npz", images=data.synthetic.synthetic("test", 20, image_size=32).images)
  r = run_cli([str(tmp_path / "a.npz"), "--inception_score"], fid_cache)
  assert r.returncode == 1 and "needs Inception weights with the 1008-way" in r.stderr
  r = run_cli([str(tmp_path / "a.npz"), "--inception_score", "--is_splits=2",
               f"--weights={pytorch_fid_weights[0]}", "--allow_unverified_weights"], fid_cache)
  assert r.returncode == 0, r.stderr[-3000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert out["n_a"] == 20 and 1.0 <= out["is_a"] <= 1008 and "fid" not in out
  assert out["protocol"]["weights_kind"] == "pytorch_fid"


def test_cli_dataset_source_is_a_seeded_random_subset(fid_cache, tmp_path):
  """dataset:mnist:test:40 of the digit-sorted offline subset: 40 images drawn with the seed
  (the first 40 would all be zeros), recorded in the output."""
  r = run_cli(["dataset:mnist:test:40", f"--save_stats={tmp_path / 's.npz'}"], fid_cache)
  assert r.returncode == 0, r.stderr[-3000:]
  r = run_cli(["dataset:mnist:test:40", str(tmp_path / "s.npz")], fid_cache)
  assert r.returncode == 0, r.stderr[-3000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert "40 of 1000 images, random subset seed 0" in out["source_a"]
  assert out["fid"] == pytest.approx(0.0, abs=1e-3)
  from gan_jax import data
  test = data.load_split("mnist", "test", source="offline", cache_dir=fid_cache)
  labels = test.read(np.arange(len(test)))[1]
  assert len(set(labels[data.subset_indices(1000, 40, 0)].tolist())) >= 8


def test_intra_fid_is_zero_for_each_class_own_images_and_large_for_swapped_classes(
    eval_config, fid_cache):
  from gan_jax import evaluators
  c = eval_config
  c.model.conditional = True
  c.data.synthetic_size = 32
  ic = c.evals.intra_fid
  ic.cache_dir, ic.batch_size, ic.final = fid_cache, 8, True
  exp = Experiment(c, parallel.make_mesh(8))
  (ev,) = [e for e in exp.evaluators() if e.name == "intra_fid"]
  ev.prepare()
  images, labels, _ = exp.data.labelled_reference("test", 0, 0)
  by_class = [images[labels == k] for k in (0, 1)]
  ev.cfg.final_num_samples = min(len(b) for b in by_class)  # the evaluator's own block

  def gen(shift):
    def with_labels(y, seed, bs):
      k = int(y[0])
      assert (np.asarray(y) == k).all()  # one class per call, as the protocol says
      return by_class[(k + shift) % 2][:len(y)]
    return evaluators.Samples(None, with_labels)
  own = ev.evaluate(gen(0), 0, True)
  swapped = ev.evaluate(gen(1), 0, True)
  per = own.details["per_class"]
  assert set(per) == {"disc", "square"}
  smaller = ["disc", "square"][int(np.argmin([len(b) for b in by_class]))]
  assert per[smaller] < 1e-2  # its samples are its whole reference: the same images
  assert swapped.scalars["intra_fid"] > own.scalars["intra_fid"] + 10
  np.testing.assert_allclose(own.scalars["intra_fid_worst"], max(per.values()), atol=1e-3)
  np.testing.assert_allclose(own.scalars["intra_fid"], np.mean(list(per.values())), atol=1e-3)
  assert own.protocol["reference"]["per_class_counts"] == [len(b) for b in by_class]


def test_two_evaluators_of_one_type_coexist_and_share_the_inception_settings(test_config):
  import ml_collections
  c = test_config
  c.evals.fid.batch_size = 24
  c.evals.fid_train = ml_collections.ConfigDict(dict(type="fid", final=True,
                                                     reference_split="train"))
  evals = {e.name: e for e in Experiment(c, parallel.make_mesh(1)).evaluators(enabled_only=False)}
  assert type(evals["fid_train"]) is type(evals["fid"])
  assert evals["fid_train"].cfg.reference_split == "train"
  assert evals["fid_train"].cfg.batch_size == 24 and evals["fid_train"].final
  assert evals["intra_fid"].cfg.batch_size == 24  # intra-class FID: fid's Inception settings
  assert evals["intra_fid"].cfg.kid_subsets == 1 and not evals["intra_fid"].final
  c.evals.fid_train.type = "fjd"
  with pytest.raises(ConfigError, match="unknown evals.fid_train.type 'fjd'"):
    Experiment(c, parallel.make_mesh(1))
