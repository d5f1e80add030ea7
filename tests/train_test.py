"""Training-step semantics: device-count invariance, exact resume, failure modes."""

import os

import jax
import numpy as np
import pytest

from gan_jax import checkpointing, parallel, train
from gan_jax.errors import CheckpointError, ConfigError, NonFiniteLossError


def fixed_batch(config, seed=0):
  rng = np.random.default_rng(seed)
  shape = (config.loss.d_steps, config.data.batch_size, config.data.image_size,
           config.data.image_size, 1)
  return {"image": rng.uniform(-1, 1, shape).astype(np.float32),
          "label": np.zeros(shape[:2], np.int32)}


@pytest.mark.parametrize("model", ["dcgan", "mlp"])
def test_eight_devices_equal_one(test_config, model):
  """Same global batch on 1 and 8 devices: same step, batch norm over the global batch."""
  assert jax.device_count() == 8
  config = test_config
  config.model.name = model
  config.loss.d_steps = 2
  results = []
  for n in (1, 8):
    mesh = parallel.make_mesh(n)
    exp = train.Experiment(config, mesh)
    state = exp.init_state()
    for s in range(2):
      batch = jax.device_put(fixed_batch(config, s), parallel.batch_sharding(mesh))
      state, metrics = exp.train_step(state, batch)
    results.append((jax.device_get(state), jax.device_get(metrics)))
  (s1, m1), (s8, m8) = results
  for a, b in zip(jax.tree.leaves(s1), jax.tree.leaves(s8)):
    np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
  for k in m1:
    np.testing.assert_allclose(m1[k], m8[k], atol=1e-5, rtol=1e-5)


def _params(workdir, config):
  exp = train.Experiment(config, parallel.make_mesh(1))
  ckpt = checkpointing.Checkpointer(os.path.join(workdir, "checkpoints"), 3)
  state, step = ckpt.restore(exp.abstract_state, exp.meta())
  ckpt.close()
  return jax.device_get(state), step


def test_resume_is_bit_identical(test_config, tmp_path):
  """Train 6, stop, resume to 12 == train 12 straight (same device count)."""
  config = test_config
  config.loss.d_steps = 2
  mesh = parallel.make_mesh(2)
  straight = train.train_and_evaluate(config, str(tmp_path / "straight"), mesh)
  half = config.copy_and_resolve_references()
  half.num_train_steps = 6
  train.train_and_evaluate(half, str(tmp_path / "resumed"), mesh)
  resumed = train.train_and_evaluate(config, str(tmp_path / "resumed"), mesh)
  for a, b in zip(jax.tree.leaves(jax.device_get(straight)), jax.tree.leaves(jax.device_get(resumed))):
    np.testing.assert_array_equal(a, b)
  assert int(resumed.step) == 12


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(test_config, tmp_path):
  config = test_config
  config.num_train_steps = 4
  mesh = parallel.make_mesh(1)
  train.train_and_evaluate(config, str(tmp_path), mesh)
  good, _ = _params(str(tmp_path), config)
  config.num_train_steps = 40
  config.d_optimizer.lr = 1e38
  config.g_optimizer.lr = 1e38
  with pytest.raises(NonFiniteLossError, match="last good checkpoint, step 4"):
    train.train_and_evaluate(config, str(tmp_path), mesh)
  kept, step = _params(str(tmp_path), config)
  assert step == 4
  for a, b in zip(jax.tree.leaves(good), jax.tree.leaves(kept)):
    np.testing.assert_array_equal(a, b)


def test_batch_not_divisible_by_devices(test_config):
  test_config.data.batch_size = 12
  with pytest.raises(ValueError, match="does not divide across the 8 devices.*multiple of 8"):
    train.Experiment(test_config, parallel.make_mesh(8))


def test_unknown_names_list_the_choices(test_config):
  for field, value in [("model.name", "vae"), ("loss.name", "hinge2"), ("g_optimizer.name", "lion")]:
    config = test_config.copy_and_resolve_references()
    section, key = field.split(".")
    config[section][key] = value
    with pytest.raises(ConfigError, match="choose one of"):
      train.Experiment(config, parallel.make_mesh(1))
  config = test_config.copy_and_resolve_references()
  config.data.name = "imagenet64"
  with pytest.raises(ValueError, match="Unknown data.name 'imagenet64'; choose one of"):
    train.Experiment(config, parallel.make_mesh(1))


def test_other_architecture_checkpoint_is_refused(test_config, tmp_path):
  mesh = parallel.make_mesh(1)
  test_config.num_train_steps = 2
  train.train_and_evaluate(test_config, str(tmp_path), mesh)
  test_config.model.g_hidden = 16
  with pytest.raises(CheckpointError, match="different architecture: model.g_hidden: checkpoint 8, config 16"):
    train.sample(test_config, str(tmp_path), mesh)


def test_corrupt_checkpoint_is_a_clear_error(test_config, tmp_path):
  mesh = parallel.make_mesh(1)
  test_config.num_train_steps = 2
  train.train_and_evaluate(test_config, str(tmp_path), mesh)
  state_dir = tmp_path / "checkpoints" / "2" / "state"
  for root, _, files in os.walk(state_dir):
    for f in files:
      if f.startswith("d") or "ocdbt" in root:
        with open(os.path.join(root, f), "wb") as fh:
          fh.write(b"garbage")
  with pytest.raises(CheckpointError, match="could not be restored|unreadable"):
    train.sample(test_config, str(tmp_path), mesh)
