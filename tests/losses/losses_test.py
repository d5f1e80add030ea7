"""Objective values against their textbook formulas; a new objective plugs in by name."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import batch_for

from gan_jax import losses
from gan_jax.losses import GANInputs
from gan_jax.models import DOutput
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError


def bce(p, y):
  return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def sig(v):
  return 1 / (1 + np.exp(-v))


def outputs(seed=0):
  rng = np.random.default_rng(seed)
  return rng.normal(size=32), rng.normal(size=32)


def test_non_saturating_and_minimax_equal_their_bce_formulas():
  real, fake = outputs()
  r, f = DOutput(jnp.asarray(real)), DOutput(jnp.asarray(fake))
  ns = losses.OBJECTIVES.get("non_saturating")()
  d, m = ns.d_loss(r, f, None, {})
  np.testing.assert_allclose(d, bce(sig(real), 1) + bce(sig(fake), 0), rtol=1e-5)
  np.testing.assert_allclose(m["D_x"], sig(real).mean(), rtol=1e-5)
  np.testing.assert_allclose(m["D_G_z1"], sig(fake).mean(), rtol=1e-5)
  g, _ = ns.g_loss(f, None, {})
  np.testing.assert_allclose(g, bce(sig(fake), 1), rtol=1e-5)
  g, _ = losses.OBJECTIVES.get("minimax")().g_loss(f, None, {})
  np.testing.assert_allclose(g, np.mean(np.log(1 - sig(fake))), rtol=1e-5)


def test_one_sided_label_smoothing_uses_the_soft_real_target():
  real, fake = outputs(1)
  d, _ = losses.OBJECTIVES.get("non_saturating")(real_label=0.9).d_loss(
      DOutput(jnp.asarray(real)), DOutput(jnp.asarray(fake)), None, {})
  np.testing.assert_allclose(d, bce(sig(real), 0.9) + bce(sig(fake), 0), rtol=1e-5)
  with pytest.raises(ConfigError, match="real_label"):
    losses.OBJECTIVES.get("non_saturating")(real_label=0.2)


def test_hyper_parameters_come_from_the_objectives_own_config_block(test_config):
  test_config.loss.non_saturating.real_label = 0.9
  real, fake = outputs(2)
  d, _ = losses.build(test_config.loss).d_loss(DOutput(jnp.asarray(real)),
                                               DOutput(jnp.asarray(fake)), None, {})
  np.testing.assert_allclose(d, bce(sig(real), 0.9) + bce(sig(fake), 0), rtol=1e-5)


def test_an_objective_with_state_and_a_critic_constraint_plugs_in_by_name(test_config, monkeypatch):
  """Critic clipping and a running statistic, registered by name, through the unchanged step."""
  def d_loss(real_out, fake_out, inputs, state):
    gap = jnp.mean(jnp.abs(inputs.real - inputs.fake))  # sees the images, as BEGAN needs
    return jnp.mean(fake_out.logits) - jnp.mean(real_out.logits), {
        "D_x": jnp.mean(real_out.logits), "D_G_z1": jnp.mean(fake_out.logits), "gap": gap}

  def g_loss(fake_out, inputs, state):
    return -jnp.mean(fake_out.logits), {"D_G_z2": jnp.mean(fake_out.logits)}

  def toy_wgan(clip=0.01):
    return losses.Objective(
        d_loss=d_loss, g_loss=g_loss, init_state=lambda: {"k": jnp.zeros(())},
        update_state=lambda s, m: {"k": s["k"] + m["gap"]},
        constrain_d_params=lambda p: jax.tree.map(lambda w: jnp.clip(w, -clip, clip), p))

  test_config.loss.name = "toy_wgan"
  test_config.loss.d_steps = 3
  mesh = parallel.make_mesh(1)
  with losses.OBJECTIVES.override("toy_wgan", toy_wgan):
    exp = Experiment(test_config, mesh)
  state = exp.init_state()
  state, metrics = exp.train_step(state, jax.device_put(batch_for(test_config),
                                                        parallel.batch_sharding(mesh)))
  assert max(float(jnp.max(jnp.abs(w))) for w in jax.tree.leaves(state.d_params)) <= 0.01
  assert float(state.loss_state["k"]) > 0
  assert "gap" in metrics and bool(metrics["finite"])


def test_conditional_step_hands_the_labels_to_the_objective(test_config, monkeypatch):
  """Real labels from the batch and the sampler's fake labels reach the objective."""
  seen = {}

  def capture():
    base = losses.OBJECTIVES.get("non_saturating")()

    def d_loss(real_out, fake_out, inputs: GANInputs, state):
      seen["real_labels"], seen["fake_labels"] = inputs.real_labels, inputs.fake_labels
      seen["z"] = inputs.z
      return base.d_loss(real_out, fake_out, inputs, state)
    return losses.Objective(d_loss=d_loss, g_loss=base.g_loss)

  test_config.loss.name = "capture"
  test_config.model.conditional = True
  mesh = parallel.make_mesh(1)
  with losses.OBJECTIVES.override("capture", capture):
    exp = Experiment(test_config, mesh)
  batch = batch_for(test_config)
  jax.eval_shape(exp.train_step, exp.abstract_state, batch)
  assert seen["real_labels"].shape == (16,) and seen["real_labels"].dtype == jnp.int32
  assert seen["fake_labels"].shape == (16,)
  assert seen["z"].shape == (16, test_config.model.latent_dim)  # the latents G was given


def test_a_registered_regulariser_joins_any_objective_and_sees_g_inputs(test_config):
  """A term written as a regulariser, registered for one build: it sees the z of each image."""
  import dataclasses

  def latent_norm(objective, loss_cfg):
    def g_loss(fake_out, inputs: GANInputs, state, _inner=objective.g_loss):
      value, metrics = _inner(fake_out, inputs, state)
      return value, dict(metrics, latent_norm=jnp.mean(jnp.abs(inputs.z)))
    return dataclasses.replace(objective, g_loss=g_loss)

  assert losses.REGULARIZERS.names() == ["r1", "out_of_bound", "mode_seeking",
                                         "diversity_sensitive", "acgan"]
  mesh = parallel.make_mesh(1)
  with losses.REGULARIZERS.override("latent_norm", latent_norm):
    exp = Experiment(test_config, mesh)
  assert "latent_norm" not in losses.REGULARIZERS
  _, metrics = exp.train_step(exp.init_state(), jax.device_put(batch_for(test_config),
                                                               parallel.batch_sharding(mesh)))
  assert float(metrics["latent_norm"]) > 0


def test_hinge_and_least_squares_equal_their_formulas():
  real, fake = outputs(3)
  r, f = DOutput(jnp.asarray(real)), DOutput(jnp.asarray(fake))
  hinge = losses.OBJECTIVES.get("hinge")()
  d, _ = hinge.d_loss(r, f, None, {})
  np.testing.assert_allclose(d, np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake)),
                             rtol=1e-5)
  np.testing.assert_allclose(hinge.g_loss(f, None, {})[0], -fake.mean(), rtol=1e-5)
  ls = losses.OBJECTIVES.get("least_squares")()
  d, _ = ls.d_loss(r, f, None, {})
  np.testing.assert_allclose(d, 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake ** 2), rtol=1e-5)
  np.testing.assert_allclose(ls.g_loss(f, None, {})[0], 0.5 * np.mean((fake - 1) ** 2), rtol=1e-5)


def test_wgan_critic_parameters_stay_within_the_clip_and_the_estimate_is_reported(
    test_config):
  """configs/wgan_mnist.py's recipe on the test model: after each of 2 steps x 5 critic
  updates every critic parameter lies in [-0.01, 0.01]; the step reports E[D(x)] - E[D(G(z))]."""
  from configs import wgan_mnist
  recipe = wgan_mnist.get_config()
  for block in ("loss", "g_optimizer", "d_optimizer"):
    test_config[block] = recipe[block]
  mesh = parallel.make_mesh(1)
  exp = Experiment(test_config, mesh)
  assert exp.data.d_steps == 5
  state = exp.init_state()
  clipped_after = []
  for s in range(2):
    state, metrics = exp.train_step(state, jax.device_put(batch_for(test_config, s),
                                                          parallel.batch_sharding(mesh)))
    clipped_after.append(max(float(jnp.max(jnp.abs(w))) for w in jax.tree.leaves(state.d_params)))
  assert max(clipped_after) <= 0.01
  np.testing.assert_allclose(metrics["wasserstein"], metrics["D_x"] - metrics["D_G_z1"], rtol=1e-5)
  assert metrics["d_loss"] == pytest.approx(-float(metrics["wasserstein"]), rel=1e-5)
