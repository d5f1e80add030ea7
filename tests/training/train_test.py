"""Training semantics: device-count invariance, exact resume, checkpoint fallback, failure modes."""

import os

import jax
import numpy as np
import pytest
from helpers import batch_for, configured

from gan_jax.inference.grid import sample
from gan_jax.runs import checkpoints
from gan_jax.training import train
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import CheckpointError, ConfigError, NonFiniteLossError

VARIANTS = {
    "dcgan": {},
    "mlp": {"model.name": "mlp"},
    "cdcgan": {"model.conditional": True},
    "began": {"model.name": "began", "loss.name": "began", "model.began.filters": 8,
              "model.began.code_dim": 8},
    # multi-hot conditions: ACGAN (D predicts the tags), conditional BEGAN with the mismatch term
    "acgan_tags": {"data.name": "synthetic_tags", "model.conditional": True,
                   "model.d_label_input": "none", "loss.acgan.weight": 1.0},
    "cbegan_tags": {"data.name": "synthetic_tags", "model.conditional": True,
                    "model.name": "began", "loss.name": "began", "model.began.filters": 8,
                    "model.began.code_dim": 8, "loss.began.mismatch_weight": 1.0},
}
# One SGD step only (its double-backward compiles slowly on 8 emulated devices).
SGD_ONLY = {"wgan_gp_augmented": {"loss.name": "wgan_gp", "model.dcgan.d_norm": "layer",
                                  "diff_augment": "color,translation,cutout"}}


def run_steps(config, n_devices, num_steps):
  mesh = parallel.make_mesh(n_devices)
  exp = Experiment(config, mesh)
  state = exp.init_state()
  before = jax.device_get(state)
  for s in range(num_steps):
    batch = jax.device_put(batch_for(config, s), parallel.batch_sharding(mesh))
    state, metrics = exp.train_step(state, batch)
  return before, jax.device_get(state), jax.device_get(metrics)


@pytest.mark.parametrize("variant", sorted(VARIANTS | SGD_ONLY))
def test_one_step_on_8_devices_gives_the_losses_metrics_and_gradients_of_1_device(
    test_config, variant):
  """One step under plain SGD: parameter changes are -lr x the gradients, so equal changes
  mean equal gradients; losses and metrics (D_x, D_G_z1, D_G_z2, ...) agree too."""
  assert jax.device_count() == 8
  config = configured(test_config, (VARIANTS | SGD_ONLY)[variant])
  config.loss.d_steps = 2
  lr = 0.01
  for opt in (config.g_optimizer, config.d_optimizer):
    opt.name, opt.lr = "sgd", lr
  (b1, s1, m1), (b8, s8, m8) = run_steps(config, 1, 1), run_steps(config, 8, 1)
  for k in m1:
    np.testing.assert_allclose(m1[k], m8[k], rtol=1e-5, atol=1e-6, err_msg=k)
  for net in ("g_params", "d_params"):
    g1 = jax.tree.map(lambda a, b: (a - b) / lr, getattr(s1, net), getattr(b1, net))
    g8 = jax.tree.map(lambda a, b: (a - b) / lr, getattr(s8, net), getattr(b8, net))
    for a, b, p in zip(jax.tree.leaves(g1), jax.tree.leaves(g8), jax.tree.leaves(getattr(b1, net))):
      scale = float(np.max(np.abs(a))) + 1e-12
      # a parameter change is resolved to one float32 spacing of the parameter
      ulp = float(np.max(np.spacing(np.abs(p).astype(np.float32)))) / lr
      np.testing.assert_allclose(a, b, rtol=0, atol=2e-4 * scale + 2 * ulp)
  for a, b in zip(jax.tree.leaves(s1.g_batch_stats), jax.tree.leaves(s8.g_batch_stats)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# The update bound under Adam depends on the optimizer, not on what the objective is: one model
# of each kind (the SGD test above checks every variant's gradients exactly).
@pytest.mark.parametrize("variant", ["dcgan", "mlp", "cdcgan", "began"])
def test_adam_parameters_on_8_devices_stay_within_the_update_bound_of_1_device(
    test_config, variant):
  """Adam normalises each gradient coordinate: where a gradient is ~0, reduction-order noise
  can flip its sign and move that parameter by up to 2 x lr per step (|m_hat / sqrt(v_hat)|
  <= 1 in the first steps). Device invariance guarantees that bound, and no more."""
  config = configured(test_config, VARIANTS[variant])
  steps = 2
  lr = config.g_optimizer.lr
  (_, s1, m1), (_, s8, m8) = run_steps(config, 1, steps), run_steps(config, 8, steps)
  bound = 2 * lr * steps
  for a, b in zip(jax.tree.leaves((s1.g_params, s1.d_params)),
                  jax.tree.leaves((s8.g_params, s8.d_params))):
    assert float(np.max(np.abs(a - b))) <= bound
  for k in m1:
    np.testing.assert_allclose(m1[k], m8[k], rtol=1e-2, atol=1e-3, err_msg=k)


def restore(workdir, config):
  exp = Experiment(config, parallel.make_mesh(1))
  ckpt = checkpoints.Checkpointer(os.path.join(workdir, "checkpoints"), 3)
  try:
    state, step = ckpt.restore(exp.abstract_state, exp.meta())
  finally:
    ckpt.close()
  return jax.device_get(state), step


# conditional resume: cbegan_tags (multi-hot labels, BEGAN's k_t, the wrong-condition term)
@pytest.mark.parametrize("variant", ["dcgan", "cbegan_tags", "dynamic"])
def test_train_6_then_resume_to_12_is_bit_identical_to_12_straight(test_config, tmp_path, variant):
  if variant == "dynamic":  # the dynamic critic count (one real batch per step)
    config = configured(test_config, {"loss.dynamic_steps.enabled": True,
                                      "loss.dynamic_steps.d_threshold": 1.3})
  else:
    config = configured(test_config, VARIANTS[variant])
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


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(test_config, tmp_path):
  config = test_config
  config.num_train_steps = 4
  mesh = parallel.make_mesh(1)
  train.train_and_evaluate(config, str(tmp_path), mesh)
  good, _ = restore(str(tmp_path), config)
  config.num_train_steps = 40
  config.d_optimizer.lr = 1e38
  config.g_optimizer.lr = 1e38
  with pytest.raises(NonFiniteLossError, match="last good checkpoint, step 4"):
    train.train_and_evaluate(config, str(tmp_path), mesh)
  kept, step = restore(str(tmp_path), config)
  assert step == 4
  for a, b in zip(jax.tree.leaves(good), jax.tree.leaves(kept)):
    np.testing.assert_array_equal(a, b)


def test_batch_not_divisible_by_the_devices_is_a_config_error_naming_a_fix(test_config):
  test_config.data.batch_size = 12
  with pytest.raises(ConfigError, match="does not divide across the 8 devices.*multiple of 8"):
    Experiment(test_config, parallel.make_mesh(8))


@pytest.mark.parametrize("field,value", [
    ("model.name", "vae"), ("loss.name", "hinge2"), ("g_optimizer.name", "lion"),
    ("data.name", "imagenet64"), ("data.source", "web"), ("data.resize", "crop"),
    ("model.dcgan.conv_impl", "winograd"), ("model.dcgan.bn_scale_init", "zeros"),
    ("log_scalars", "median")])
def test_unknown_names_are_config_errors_listing_the_choices(test_config, field, value):
  config = configured(test_config, {field: value})
  with pytest.raises(ConfigError, match=f"{field.split('.')[-1] if 'optimizer' in field else field}"
                                        f".*{value!r}; choose one of"):
    Experiment(config, parallel.make_mesh(1))


@pytest.mark.parametrize("field,value", [
    ("g_optimizer.lr", 0.0), ("d_optimizer.lr", -1e-4), ("num_train_steps", 0),
    ("data.batch_size", 0), ("data.batch_size", -8), ("loss.d_steps", 0), ("log_every", 0),
    ("model.latent_dim", 0), ("ema_decay", 1.0), ("evals.fid.every", -5),
    ("evals.fid.final_num_samples", 0), ("data.image_size", 30)])
def test_values_that_cannot_be_right_are_refused_at_start_up(test_config, field, value):
  config = configured(test_config, {field: value})
  with pytest.raises(ConfigError, match=field.split(".")[-1]):
    Experiment(config, parallel.make_mesh(1))


def test_a_built_experiment_is_a_frozen_record_of_its_parts(test_config):
  import dataclasses
  exp = Experiment(test_config, parallel.make_mesh(1))
  with pytest.raises(dataclasses.FrozenInstanceError, match="frozen record"):
    exp.generator = None
  assert not hasattr(exp, "config")  # the config's blocks were taken; the config was not kept


def test_conditional_model_on_a_dataset_without_labels_is_refused(test_config, monkeypatch):
  from gan_jax import data
  spec = data.DATASETS.get("synthetic")
  test_config.model.conditional = True
  unlabelled = data.DatasetSpec(channels=1, native_size=28, num_classes=0, label_kind="none")
  with data.DATASETS.override("synthetic", unlabelled):
    with pytest.raises(ConfigError, match="has no labels"):
      Experiment(test_config, parallel.make_mesh(1))
  assert spec.label_kind == "class"


def test_checkpoint_of_another_architecture_is_refused_naming_the_field(test_config, tmp_path):
  mesh = parallel.make_mesh(1)
  test_config.num_train_steps = 2
  train.train_and_evaluate(test_config, str(tmp_path), mesh)
  test_config.model.g_hidden = 16
  with pytest.raises(CheckpointError,
                     match="different architecture: model.g_hidden: checkpoint 8, config 16"):
    sample(test_config, str(tmp_path), mesh)


def corrupt(step_dir):
  for root, _, files in os.walk(os.path.join(step_dir, "state")):
    for f in files:
      if f.startswith("d") or "ocdbt" in root:
        with open(os.path.join(root, f), "wb") as fh:
          fh.write(b"garbage")


def test_unreadable_newest_checkpoint_is_moved_aside_and_training_resumes_from_the_one_before(
    test_config, tmp_path):
  """Train to 12 with checkpoints at 6 and 12; damage 12; train to 18: resumes from 6, moves 12
  aside (kept, not deleted), and ends where an unbroken 18-step run ends."""
  mesh = parallel.make_mesh(1)
  train.train_and_evaluate(test_config, str(tmp_path / "run"), mesh)
  corrupt(str(tmp_path / "run" / "checkpoints" / "12"))
  # sample/eval never move files: a clear error saying what training would do
  with pytest.raises(CheckpointError, match="(?s)unreadable.*moves it aside"):
    sample(test_config, str(tmp_path / "run"), mesh)
  test_config.num_train_steps = 18
  resumed = train.train_and_evaluate(test_config, str(tmp_path / "run"), mesh)
  assert os.path.isdir(tmp_path / "run" / "checkpoints_unreadable" / "12")
  assert sorted(os.listdir(tmp_path / "run" / "checkpoints")) == ["12", "18", "6"]
  straight = train.train_and_evaluate(test_config, str(tmp_path / "straight"), mesh)
  for a, b in zip(jax.tree.leaves(jax.device_get(straight)), jax.tree.leaves(jax.device_get(resumed))):
    np.testing.assert_array_equal(a, b)


def test_every_checkpoint_unreadable_starts_afresh_keeping_them_aside(test_config, tmp_path):
  mesh = parallel.make_mesh(1)
  test_config.num_train_steps = 6
  train.train_and_evaluate(test_config, str(tmp_path), mesh)
  corrupt(str(tmp_path / "checkpoints" / "6"))
  state = train.train_and_evaluate(test_config, str(tmp_path), mesh)
  assert int(state.step) == 6
  assert os.listdir(tmp_path / "checkpoints_unreadable") == ["6"]


def test_a_generator_with_noise_inputs_gets_a_noise_stream_in_training(test_config):
  """G may draw noise (``make_rng("noise")``) in training mode; sampling stays deterministic."""
  import flax.linen as nn

  from gan_jax import models
  dcgan = models.MODELS.get("dcgan")

  class Noisy(nn.Module):
    inner: nn.Module

    @nn.compact
    def __call__(self, z, y=None, train: bool = False):
      x = self.inner(z, y, train=train)
      return x + 0.01 * jax.random.normal(self.make_rng("noise"), x.shape) if train else x

  def build(model_cfg, **kw):
    g, d = dcgan(model_cfg, **kw)
    return Noisy(g), d

  mesh = parallel.make_mesh(1)
  with models.MODELS.override("dcgan", build):
    exp = Experiment(test_config, mesh)
  state = exp.init_state()
  state, metrics = exp.train_step(state, jax.device_put(batch_for(test_config),
                                                        parallel.batch_sharding(mesh)))
  assert bool(metrics["finite"])
  z, y, _ = exp.sampling.grid_inputs(4, 0)
  np.testing.assert_array_equal(exp.sampling.sample(state, z, y), exp.sampling.sample(state, z, y))
