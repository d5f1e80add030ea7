"""Seed ensembles: member i of a vmapped ensemble is the single run with seed i, on 1 or 8
devices, and each member is an ordinary run afterwards."""

import json
import os
import signal
import subprocess
import sys

import jax
import numpy as np
import pytest
from helpers import ROOT, batch_for, restore_training_state, xla_flags

from gan_jax.runs import tables
from gan_jax.training import seed_ensemble as ensemble, train
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import CheckpointError, ConfigError

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
    restored, step = restore_training_state(Experiment(config, mesh), wd)
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
  runs = tables.load_runs([str(tmp_path / "ens")])
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


def test_unrolled_and_vmapped_members_take_the_same_step(test_config):
  """``unroll`` (the CPU default for convolutional GANs: each member's own step, K copies in
  one program) and ``vmap`` (one batched step) are one computation: equal states and metrics
  after a step, up to float32 rounding. SGD, so that the parameters move by lr x gradient:
  Adam's first step is lr x sign(gradient), which a rounding difference in a gradient near
  0 flips by 2 lr (it did on an AMX Xeon)."""
  test_config.loss.d_steps = 2
  lr = 0.01
  for opt in (test_config.g_optimizer, test_config.d_optimizer):
    opt.name, opt.lr = "sgd", lr
  local = jax.tree.map(lambda *xs: np.stack(xs),
                       *[batch_for(test_config, s) for s in range(len(SEEDS))])
  out = {}
  for strategy in ("unroll", "vmap"):
    ens = ensemble.Ensemble(test_config, SEEDS, parallel.make_mesh(1), strategy)
    assert ens.strategy == strategy
    states = ens.init_states()
    before = jax.device_get(states)
    out[strategy] = (before, *jax.device_get(ens.train_step(states, ens.put(local))))
  (b, sm, mm), (_, sv, mv) = out["unroll"], out["vmap"]
  for k in mm:
    assert mm[k].shape == mv[k].shape == (len(SEEDS),)
    np.testing.assert_allclose(mm[k], mv[k], rtol=1e-5, atol=1e-6, err_msg=k)
  # the steps' updates agree within 1% of each tensor's largest but for a few elements: the
  # two programs round differently, and over two D updates a rounding can move one
  # activation across a LeakyReLU's kink, which moves a few of D's gradient elements by up
  # to 15% of the largest and G's (through that D) by 0.5% (seen on an AMX Xeon: 1 of 8,192
  # kernel elements); a member mixed up or a wrong update moves all of them
  for net in ("g_params", "d_params"):
    um = jax.tree.map(lambda a, b0: (a - b0) / lr, getattr(sm, net), getattr(b, net))
    uv = jax.tree.map(lambda a, b0: (a - b0) / lr, getattr(sv, net), getattr(b, net))
    for x, y in zip(jax.tree.leaves(um), jax.tree.leaves(uv)):
      largest = float(np.max(np.abs(x)))
      off = np.abs(x - y) > 1e-2 * largest + 1e-6
      assert off.mean() <= 0.01 and np.max(np.abs(x - y)) <= 0.2 * largest, (off.mean(), net)
  assert ensemble.resolve_strategy("auto", "dcgan") == "unroll"  # these tests run on the CPU
  assert ensemble.resolve_strategy("auto", "mlp") == "vmap"
  with pytest.raises(ConfigError, match="unknown ensemble strategy"):
    ensemble.Ensemble(test_config, SEEDS, parallel.make_mesh(1), "map")


def test_an_ensemble_refuses_repeated_seeds(test_config):
  with pytest.raises(ConfigError, match="distinct seeds"):
    ensemble.Ensemble(test_config, [1, 1], parallel.make_mesh(1))


def _ensemble(args, workdir, **kw):
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  return subprocess.Popen(
      [sys.executable, "-m", "gan_jax.ensemble", "--config=configs/test.py", "--seeds=3,7",
       f"--workdir={workdir}", "--config.num_train_steps=12", "--config.checkpoint_every=2",
       "--config.log_every=1", *args], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, **kw)


def test_a_killed_ensemble_resumes_and_every_member_equals_the_unbroken_one(test_config, tmp_path):
  """kill -9 mid-training (after a checkpoint, maybe during the next save), the same command
  again: each member's final state is bit-identical to an ensemble that was never stopped."""
  straight = _ensemble([], tmp_path / "straight")
  _, err = straight.communicate(timeout=600)
  assert straight.returncode == 0, err[-3000:]
  killed = _ensemble([], tmp_path / "killed")
  for line in killed.stderr:
    if "step 7/12" in line:
      break
  killed.send_signal(signal.SIGKILL)
  killed.communicate(timeout=60)
  assert killed.returncode == -signal.SIGKILL
  assert not os.path.exists(tmp_path / "killed" / "seed3" / "checkpoints")  # not finished
  resumed = _ensemble([], tmp_path / "killed")
  _, err = resumed.communicate(timeout=600)
  assert resumed.returncode == 0, err[-3000:]
  assert "Resuming the ensemble from step" in err
  mesh = parallel.make_mesh(1)
  for seed in SEEDS:
    config = ensemble.member_config(test_config, seed)
    exp = Experiment(config, mesh)
    a, step_a = restore_training_state(exp, str(tmp_path / "straight" / f"seed{seed}"))
    b, step_b = restore_training_state(exp, str(tmp_path / "killed" / f"seed{seed}"))
    assert step_a == step_b == 12
    for x, y in zip(jax.tree.leaves(jax.device_get(a)), jax.tree.leaves(jax.device_get(b))):
      np.testing.assert_array_equal(x, y)


def test_an_ensemble_checkpoint_is_not_resumed_by_other_seeds(test_config, tmp_path):
  test_config.num_train_steps = 2
  mesh = parallel.make_mesh(1)
  ensemble.train(test_config, str(tmp_path), SEEDS, mesh)
  test_config.num_train_steps = 4
  with pytest.raises(CheckpointError, match="ensemble seeds"):
    ensemble.train(test_config, str(tmp_path), [3, 8], mesh)
