"""FID/KID of generators and image sets: eval mode, results JSON, CLI, sanity."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import torch_save_format
from conftest import ROOT
from gan_jax import evaluation, fid_stats, inception_weights, parallel, train


@pytest.fixture
def eval_config(test_config, fid_cache):
  test_config.eval.cache_dir = fid_cache
  return test_config


def test_eval_mode_writes_results_with_protocol(eval_config, tmp_path):
  mesh = parallel.make_mesh(8)
  eval_config.num_train_steps = 2
  eval_config.eval.every = 1      # periodic evaluation at step 1
  eval_config.eval.final = True   # and the final protocol at step 2
  train.train_and_evaluate(eval_config, str(tmp_path), mesh)
  result = train.evaluate(eval_config, str(tmp_path), mesh)
  assert np.isfinite(result["fid"]) and result["fid"] > 0 and np.isfinite(result["kid"])
  with open(tmp_path / "results.json") as f:
    saved = json.load(f)
  assert [(r["step"], r["final"]) for r in saved] == [(1, False), (2, True), (2, True)]
  # The final evaluation during training and --mode=eval on its checkpoint agree.
  assert saved[1]["fid"] == pytest.approx(result["fid"], rel=1e-6)
  assert saved[-1]["fid"] == result["fid"] and saved[-1]["step"] == 2
  p = saved[-1]["protocol"]
  assert p["resize"] == "tf1_bilinear" and p["num_generated"] == 16
  assert p["weights_archive_sha256"].startswith("7ff4a85c")
  assert p["reference"]["dataset"] == "synthetic" and p["reference"]["count"] == 32
  # Same checkpoint, same protocol: same number (cached reference statistics reused).
  assert train.evaluate(eval_config, str(tmp_path), mesh)["fid"] == pytest.approx(result["fid"], rel=1e-6)


@pytest.fixture(scope="module")
def pytorch_fid_weights(fid_cache, tmp_path_factory):
  """A pytorch-fid-format .pth (legacy torch.save) of the fetched weights plus a seeded fc."""
  params, _ = inception_weights.load(fid_cache)
  sd = torch_save_format.pytorch_fid_state_dict(params)
  path = tmp_path_factory.mktemp("pytorch_fid") / "pt_inception_test.pth"
  path.write_bytes(torch_save_format.dumps(sd, legacy=True))
  return str(path), sd["fc.weight"]


def test_inception_score_in_training_results(eval_config, pytorch_fid_weights, tmp_path):
  mesh = parallel.make_mesh(8)
  eval_config.num_train_steps = 1
  eval_config.eval.inception_score = True
  with pytest.raises(fid_stats.MetricInputError, match="pt_inception-2015-12-05-6726825d.pth"):
    evaluation.GeneratorEvaluator(eval_config, mesh).extractor  # default weights: no logits
  eval_config.eval.weights = pytorch_fid_weights[0]
  with pytest.raises(inception_weights.WeightsError, match="allow_unverified_weights"):
    evaluation.GeneratorEvaluator(eval_config, mesh).extractor
  eval_config.eval.allow_unverified_weights = True
  eval_config.eval.is_splits = 2
  evaluator = evaluation.GeneratorEvaluator(eval_config, mesh)
  exp = train.Experiment(eval_config, mesh)
  state = exp.init_state()
  result = evaluator(lambda z: exp.sample(state, z), 16, 0)
  # IS from the network's own logits equals IS from the features through fc (no bias)
  import jax
  from gan_jax import fid_preprocess, inception
  images = []
  key = jax.random.PRNGKey(eval_config.eval.seed)
  bs = evaluator.extractor.batch_size
  for i in range(0, 16, bs):
    z = jax.random.normal(jax.random.fold_in(key, i // bs), (bs, eval_config.model.latent_dim))
    images.append(fid_preprocess.quantize(exp.sample(state, z)))
  x = fid_preprocess.to_inception_input(np.concatenate(images)[:16], "tf1_bilinear")
  params, _ = inception_weights.load(eval_config.eval.cache_dir, pytorch_fid_weights[0],
                                     allow_unverified=True)
  _, logits = inception.InceptionV3(logits=True).apply({"params": params}, x)
  want = fid_stats.inception_score(np.asarray(logits), 2)
  assert result["inception_score"] == pytest.approx(want[0], rel=1e-4)
  assert result["inception_score_std"] == pytest.approx(want[1], rel=1e-3, abs=1e-5)
  assert result["protocol"]["weights_kind"] == "pytorch_fid"
  assert result["protocol"]["inception_score"]["splits"] == 2
  assert np.isfinite(result["fid"])


def test_fid_grows_with_noise_and_is_zero_on_itself(fid_cache):
  from gan_jax import data, fid_stats
  ext = evaluation.FeatureExtractor(parallel.make_mesh(8), fid_cache, batch_size=8)
  clean = data.synthetic("test", 64, image_size=32).images
  rng = np.random.default_rng(0)
  fids = []
  base = ext(clean)
  for sigma in (0, 20, 60):
    noisy = np.clip(clean + rng.normal(0, sigma, clean.shape), 0, 255).astype(np.uint8)
    f = ext(noisy)
    fids.append(fid_stats.frechet_distance(*_stats(base), *_stats(f))[0])
  assert abs(fids[0]) < 1e-3 and fids[0] < fids[1] < fids[2]


def _stats(feats):
  from gan_jax import fid_stats
  rs = fid_stats.RunningStats(feats.shape[1])
  rs.update(feats)
  return rs.mean_cov()


def run_cli(args, fid_cache):
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=1")
  return subprocess.run([sys.executable, "-m", "gan_jax.fid_cli", *args, f"--cache_dir={fid_cache}",
                         "--batch_size=8", "--kid_subsets=5"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)


def test_cli_folder_npz_and_saved_stats(fid_cache, tmp_path):
  from gan_jax import data
  imgs = data.synthetic("test", 24, image_size=32).images
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


def test_cli_inception_score(fid_cache, pytorch_fid_weights, tmp_path):
  from gan_jax import data
  np.savez(tmp_path / "a.npz", images=data.synthetic("test", 20, image_size=32).images)
  r = run_cli([str(tmp_path / "a.npz"), "--inception_score"], fid_cache)
  assert r.returncode == 1 and "needs Inception weights with the 1008-way" in r.stderr
  r = run_cli([str(tmp_path / "a.npz"), "--inception_score", "--is_splits=2",
               f"--weights={pytorch_fid_weights[0]}", "--allow_unverified_weights"], fid_cache)
  assert r.returncode == 0, r.stderr[-3000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert out["n_a"] == 20 and 1.0 <= out["is_a"] <= 1008 and "fid" not in out
  assert out["protocol"]["weights_kind"] == "pytorch_fid"
