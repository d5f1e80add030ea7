"""The Wasserstein-critic evaluator: its estimate against distances known in closed form, and
its protocol through training, results.json and TensorBoard; a run's raw G evaluated beside
its EMA (the critic being the cheapest evaluator that needs no download)."""

import json

import numpy as np
import pytest

from gan_jax.evaluators.critic import train_critic
from gan_jax.generation.restore import restore_generator
from gan_jax.runs.run_folder import RunFolder
from gan_jax.training import train
from gan_jax.training.build import Experiment
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
  assert out["critic_wasserstein_undivided"] == pytest.approx(
      out["critic_wasserstein"] * out["critic_gradient_norm"])


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


def test_a_run_with_an_ema_evaluates_its_raw_generator_beside_it(test_config, tmp_path):
  """``eval_params=raw`` evaluates the raw weights of an EMA run: results named
  ``<metric>_raw`` stand beside the EMA's in results.json and in the run's final metrics, and
  a run trained that way counts its ``_raw`` finals as done."""
  from gan_jax.inference.evaluate import evaluate
  c = test_config
  c.num_train_steps, c.ema_decay = 2, 0.5
  w = c.evals.wasserstein
  w.final, w.final_num_samples, w.reference_count = True, 64, 64
  w.critic_steps, w.critic_width, w.batch_size = 5, 8, 16
  mesh = parallel.make_mesh(1)
  train.train_and_evaluate(c, str(tmp_path), mesh)
  c.eval_params = "raw"
  raw = evaluate(c, str(tmp_path), mesh)
  assert "critic_wasserstein_raw" in raw and "critic_wasserstein" not in raw
  records = [(r["evaluator"], r["final"]) for r in json.load(open(tmp_path / "results.json"))]
  assert records == [("wasserstein", True), ("wasserstein_raw", True)]
  finals, step = RunFolder(str(tmp_path)).final_metrics()
  assert step == 2 and {"critic_wasserstein", "critic_wasserstein_raw"} <= set(finals)
  # the raw samples are G's own weights, not the EMA's
  exp = Experiment(c, mesh)
  state, _ = restore_generator(exp, str(tmp_path))
  z, y, _ = exp.sampling.grid_inputs(4, 0)
  want = exp.generator.apply({"params": state.g_params, "batch_stats": state.g_batch_stats},
                             z, y, train=False)
  np.testing.assert_allclose(exp.sampling.sample(state, z, y), want, rtol=1e-5, atol=1e-6)
  run = RunFolder(str(tmp_path))
  evals = c.evals.to_dict()
  assert run.missing_finals(evals, 2, "_raw") == [] and run.missing_finals(evals, 2) == []
  c.eval_params = "both"
  with pytest.raises(ConfigError, match="eval_params"):
    Experiment(c, mesh)
