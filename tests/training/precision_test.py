"""The step's two speed switches: ``model.compute_dtype=bfloat16`` (mixed precision) and
``joint_d_pass`` (real and generated batches through D in one call). Both are off by
default; the default step is pinned by the golden tests (step_reference_test.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError
from helpers import batch_for, configured

MODELS = {
    "dcgan_conditional_sn_projection": {
        "model.conditional": True, "model.d_label_input": "projection", "loss.name": "hinge",
        "model.dcgan.d_spectral_norm": True, "model.dcgan.d_norm": "none"},
    "mlp_conditional": {"model.name": "mlp", "model.conditional": True},
    "began": {"model.name": "began", "loss.name": "began", "model.began.filters": 4,
              "model.began.code_dim": 8},
}


def one_step(config, devices=1):
  exp = Experiment(config, parallel.make_mesh(devices))
  state = exp.init_state()
  state, metrics = exp.train_step(state, exp.put_batch(batch_for(config)))
  return exp, jax.device_get(state), jax.device_get(metrics)


def float_dtypes(tree):
  return {str(x.dtype) for x in jax.tree.leaves(tree)
          if hasattr(x, "dtype") and jnp.issubdtype(x.dtype, jnp.floating)}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_bfloat16_computes_in_bfloat16_and_keeps_float32_state(test_config, name):
  config = configured(test_config, dict(MODELS[name], **{"model.compute_dtype": "bfloat16"}))
  exp, state, metrics = one_step(config)
  # parameters, optimizer state, batch-norm statistics and the EMA stay float32 ...
  assert float_dtypes(state) == {"float32"}
  assert jax.tree.structure(state) == jax.tree.structure(exp.abstract_state)
  assert all(np.isfinite(v) for v in jax.tree.leaves(metrics))
  # ... the networks' outputs are float32 ...
  z, y = exp.sampler.draw(jax.random.PRNGKey(0), 4)
  assert exp.sampling.sample_step(state, z, y).dtype == jnp.float32
  # ... and the convolutions and matrix products inside run in bfloat16
  variables = {"params": state.g_params, "batch_stats": state.g_batch_stats}
  jaxpr = str(jax.make_jaxpr(lambda v: exp.generator.apply(v, z, y, train=False))(variables))
  products = [line for line in jaxpr.splitlines()
              if "conv_general_dilated" in line or "dot_general" in line]
  assert products and all("bf16" in line for line in products), products


def test_bfloat16_keeps_the_checkpoint_layout_and_stays_near_float32(test_config):
  f32, state32, m32 = one_step(test_config.copy_and_resolve_references())
  config = configured(test_config, {"model.compute_dtype": "bfloat16"})
  bf16, state16, m16 = one_step(config)
  # the same tree of float32 arrays: a bfloat16 run's checkpoint restores in float32 and back
  assert jax.tree.map(lambda a: (a.shape, a.dtype), f32.abstract_state) == jax.tree.map(
      lambda a: (a.shape, a.dtype), bf16.abstract_state)
  # one step from the same initial weights: the losses agree to bfloat16's precision
  for key in ("d_loss", "g_loss"):
    assert abs(float(m32[key]) - float(m16[key])) < 0.05 * abs(float(m32[key])) + 1e-3, key
  assert float(m32["d_loss"]) != float(m16["d_loss"])  # but it did compute differently


def test_unknown_compute_dtype_is_refused(test_config):
  config = configured(test_config, {"model.compute_dtype": "float16"})
  with pytest.raises(ConfigError, match="model.compute_dtype"):
    Experiment(config, parallel.make_mesh(1))


@pytest.mark.parametrize("overrides", [
    {"model.dcgan.d_norm": "none", "model.conditional": True},   # planes: labels split too
    MODELS["began"],                                             # reconstruction and target
], ids=["no_norm_planes", "began"])
def test_joint_pass_equals_two_passes_without_batch_statistics(test_config, overrides):
  """Where D has no statistics over its batch the joint pass computes the same update: the
  real and generated halves, and their labels, come back where they went in."""
  two = configured(test_config.copy_and_resolve_references(), overrides)
  one = configured(test_config, dict(overrides, joint_d_pass=True))
  _, s2, m2 = one_step(two)
  _, s1, m1 = one_step(one)
  tol = 1e-5
  np.testing.assert_allclose(m1["d_loss"], m2["d_loss"], rtol=tol, atol=1e-6)
  for a, b in zip(jax.tree.leaves(s1.d_params), jax.tree.leaves(s2.d_params)):
    np.testing.assert_allclose(a, b, atol=10 * tol)


def test_joint_pass_normalises_the_joint_batch(test_config):
  """With batch norm the switch changes what D computes: real and generated images share one
  batch's statistics, and the running statistics take one update per D update, not two."""
  _, s2, m2 = one_step(test_config.copy_and_resolve_references())
  _, s1, m1 = one_step(configured(test_config, {"joint_d_pass": True}))
  assert abs(float(m1["d_loss"]) - float(m2["d_loss"])) > 1e-4
  # from the initial running variance 1 each update of momentum 0.9 keeps 0.9 of it: the D
  # update's pass and G's pass through D leave 0.81 of it joint, 0.729 apart (this D's
  # activations at initialisation have variances near 0)
  def running_vars(state):
    return [np.asarray(v) for p, v in jax.tree_util.tree_leaves_with_path(state.d_batch_stats)
            if "var" in jax.tree_util.keystr(p)]
  assert running_vars(s1) and all(np.all(v >= 0.81 - 1e-6) for v in running_vars(s1))
  assert min(float(v.min()) for v in running_vars(s2)) < 0.76


def test_joint_pass_gives_g_the_batch_statistics_d_was_trained_under(test_config):
  """G's pass through D sees G's batch beside the step's real batch: G's loss is D's verdict
  on the generated half of one joint call, computed here by hand from the updated D."""
  config = configured(test_config, {"joint_d_pass": True})
  exp = Experiment(config, parallel.make_mesh(1))
  state = exp.init_state()
  batch = batch_for(config)
  before = jax.device_get(state)  # the step donates its state
  new, m = exp.train_step(state, exp.put_batch(batch))
  state = before
  z_key, drop_key = jax.random.split(jax.random.fold_in(state.rng, state.step))
  z, _ = exp.sampler.draw(jax.random.fold_in(z_key, 0), config.data.batch_size)
  fake, _ = exp.generator.apply({"params": state.g_params, "batch_stats": state.g_batch_stats},
                                z, None, train=True, mutable=["batch_stats"])
  real = jnp.asarray(batch["image"][0])

  def verdict(x):
    out, _ = exp.discriminator.apply({"params": new.d_params, "batch_stats": new.d_batch_stats},
                                     x, None, train=True, mutable=["batch_stats"])
    return out.logits[-fake.shape[0]:]
  joint = float(jnp.mean(optax.sigmoid_binary_cross_entropy(
      verdict(jnp.concatenate([real, fake])), jnp.ones(fake.shape[0]))))
  alone = float(jnp.mean(optax.sigmoid_binary_cross_entropy(verdict(fake),
                                                            jnp.ones(fake.shape[0]))))
  np.testing.assert_allclose(m["g_loss"], joint, rtol=1e-4)
  assert abs(joint - alone) > 1e-3  # what a pass of G's batch alone would have given


def test_joint_pass_is_the_same_on_eight_devices(test_config):
  config = configured(test_config, {"joint_d_pass": True})
  _, s1, m1 = one_step(config.copy_and_resolve_references(), devices=1)
  _, s8, m8 = one_step(config, devices=8)
  np.testing.assert_allclose(m1["d_loss"], m8["d_loss"], rtol=1e-5)
  for a, b in zip(jax.tree.leaves(s1.d_params), jax.tree.leaves(s8.d_params)):
    np.testing.assert_allclose(a, b, atol=1e-5)
