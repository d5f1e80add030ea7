"""Seed ensembles: member i of a vmapped ensemble is the single run with seed i, on 1 or 8
devices, and each member is an ordinary run afterwards."""

import json
import os

import jax
import numpy as np
import pytest

from conftest import batch_for
from gan_jax import collect, ensemble, parallel, train
from gan_jax.errors import ConfigError
from gan_jax.experiment import Experiment

SEEDS = [3, 7]


def _max_diff(a, b):
  return max(float(np.max(np.abs(x - y))) for x, y in
             zip(jax.tree.leaves(jax.device_get(a)), jax.tree.leaves(jax.device_get(b))))


def test_each_member_equals_the_single_run_with_its_seed(test_config, tmp_path):
  """Real pipelines (each member's own data order), real checkpoints, 6 Adam steps."""
  test_config.num_train_steps = 6
  test_config.log_every = 3
  mesh = parallel.make_mesh(1)
  members = ensemble.train(test_config, str(tmp_path / "ens"), SEEDS, mesh)
  assert [os.path.basename(m) for m in members] == [f"seed{s}" for s in SEEDS]
  finals = []
  for seed, wd in zip(SEEDS, members):
    config = ensemble.member_config(test_config, seed)
    single = train.train_and_evaluate(config, str(tmp_path / f"single{seed}"), mesh)
    restored, step = train.restore_for_inference(Experiment(config, mesh), wd)
    assert step == 6
    for field in ("g_params", "d_params", "g_batch_stats", "d_batch_stats", "g_opt_state"):
      # the same program vmapped: equal up to float32 rounding of reordered sums
      assert _max_diff(getattr(single, field), getattr(restored, field)) < 1e-6, field
    finals.append(single)
    with open(os.path.join(wd, "config.json")) as f:
      assert json.load(f)["seed"] == seed
    assert os.path.exists(os.path.join(wd, "samples", "step_000006.png"))
  # different seeds really are different members
  assert _max_diff(finals[0].g_params, finals[1].g_params) > 1e-3
  # a member is an ordinary run: the collector sees both and averages over the seed
  runs = collect.load_runs([str(tmp_path / "ens")])
  assert [r["config"]["seed"] for r in runs] == SEEDS


def test_the_ensemble_step_on_8_devices_equals_1_device(test_config):
  assert jax.device_count() == 8
  test_config.loss.d_steps = 2
  lr = 0.01
  for opt in (test_config.g_optimizer, test_config.d_optimizer):
    opt.name, opt.lr = "sgd", lr
  out = {}
  for n in (1, 8):
    ens = ensemble.Ensemble(test_config, SEEDS, parallel.make_mesh(n))
    states = ens.init_states()
    before = jax.device_get(states)
    local = jax.tree.map(lambda *xs: np.stack(xs),
                         *[batch_for(test_config, s) for s in range(len(SEEDS))])
    states, metrics = ens.train_step(states, ens.put(local))
    out[n] = before, jax.device_get(states), jax.device_get(metrics)
  (b1, s1, m1), (b8, s8, m8) = out[1], out[8]
  for k in m1:
    assert m1[k].shape[0] == len(SEEDS)
    np.testing.assert_allclose(m1[k], m8[k], rtol=1e-5, atol=1e-6, err_msg=k)
  for net in ("g_params", "d_params"):
    g1 = jax.tree.map(lambda a, b: (a - b) / lr, getattr(s1, net), getattr(b1, net))
    g8 = jax.tree.map(lambda a, b: (a - b) / lr, getattr(s8, net), getattr(b8, net))
    for a, b in zip(jax.tree.leaves(g1), jax.tree.leaves(g8)):
      np.testing.assert_allclose(a, b, rtol=0, atol=2e-4 * (float(np.max(np.abs(a))) + 1e-12)
                                 + 1e-5)
  # the members' metrics differ: each ran its own seed
  assert not np.allclose(m1["d_loss"][0], m1["d_loss"][1])


def test_an_ensemble_refuses_repeated_seeds(test_config):
  with pytest.raises(ConfigError, match="distinct seeds"):
    ensemble.Ensemble(test_config, [1, 1], parallel.make_mesh(1))
