"""FID/KID of generators and image sets: eval mode, results JSON, CLI, sanity."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from gan_jax import evaluation, parallel, train


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
