"""The Wasserstein-critic evaluator: its estimate against distances known in closed form, and
its protocol through training, results.json and TensorBoard."""

import json

import numpy as np
import pytest

from gan_jax.evaluators.critic import train_critic
from gan_jax.runs.folder import RunFolder
from gan_jax.training import train
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError

CRITIC = dict(steps=400, width=16, batch_size=64, lr=1e-3, gp_weight=10.0, seed=0, held_out=0.2)


@pytest.mark.parametrize("shift", [0.25, 1.0])
def test_the_estimate_is_the_known_distance_of_a_shifted_distribution(shift):
  """W1(P, P + v) = |v| exactly, for any P: here 8x8 images of U(-0.5, 0.5) pixels shifted by
  ``shift`` everywhere, |v| = 8 * shift. The raw critic value overstates it by its slope."""
  rng = np.random.default_rng(0)
  base = rng.uniform(-0.5, 0.5, (4000, 8, 8, 1)).astype(np.float32)
  out = train_critic(base[:2000] + shift, base[2000:], **CRITIC)
  assert out["critic_wasserstein"] == pytest.approx(8 * shift, rel=0.08), out
  assert out["critic_gradient_norm"] > 1.0
  assert out["critic_wasserstein_raw"] == pytest.approx(out["critic_wasserstein"] * out["critic_gradient_norm"])


def test_the_estimate_is_near_zero_for_one_distribution_and_bad_sizes_are_refused():
  rng = np.random.default_rng(1)
  base = rng.uniform(-0.5, 0.5, (4000, 8, 8, 1)).astype(np.float32)
  out = train_critic(base[:2000], base[2000:], **CRITIC)
  assert abs(out["critic_wasserstein"]) < 0.15, out
  with pytest.raises(ConfigError, match="differ"):
    train_critic(base[:10], base[:10, :4, :4], **CRITIC)
  with pytest.raises(ConfigError, match="more images"):
    train_critic(base[:2], base[:2], **CRITIC)


def test_the_evaluator_runs_on_any_model_and_records_its_protocol(test_config, tmp_path):
  c = test_config
  c.num_train_steps = 2
  w = c.evals.wasserstein
  w.final, w.final_num_samples, w.reference_count = True, 64, 64
  w.critic_steps, w.critic_width, w.batch_size = 5, 8, 16
  train.train_and_evaluate(c, str(tmp_path), parallel.make_mesh(1))
  (rec,) = [r for r in json.load(open(tmp_path / "results.json"))
            if r["evaluator"] == "wasserstein"]
  assert rec["final"] and rec["step"] == 2 and np.isfinite(rec["critic_wasserstein"])
  p = rec["protocol"]
  assert p["steps"] == 5 and p["num_generated"] == 64 and p["reference"]["count"] == 64
  assert "WGAN-GP" in p["objective"] and p["held_out"] == 0.2
  tags = RunFolder(str(tmp_path)).scalars()
  assert "final_critic_wasserstein" in tags and "final_critic_gradient_norm" in tags, sorted(tags)
  w.held_out = 1.5
  with pytest.raises(ConfigError, match="held_out"):
    train.train_and_evaluate(c, str(tmp_path / "bad"), parallel.make_mesh(1))
