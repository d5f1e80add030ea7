"""The diversity terms on G (mode seeking, diversity-sensitive): each against a direct
computation, through the config on any objective, and the step's twinned conditions that
they compare two z under."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import batch_for

from gan_jax import losses
from gan_jax.losses import GANInputs, penalties
from gan_jax.models import DOutput
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError


def _pairs(batch=7, seed=0):
  rng = np.random.default_rng(seed)
  images = rng.uniform(-1, 1, (batch, 4, 4, 3)).astype(np.float32)
  z = rng.normal(size=(batch, 5)).astype(np.float32)
  return images, z


def _direct(images, z, tau=None):
  """Example i against example i + B // 2 (an odd last example unused), loops over pairs."""
  h = len(images) // 2
  d_img = [np.abs(images[i] - images[i + h]).ravel() for i in range(h)]
  d_z = [np.abs(z[i] - z[i + h]) for i in range(h)]
  if tau is None:  # MSGAN: ratio of the batch means
    return np.concatenate(d_img).mean() / np.concatenate(d_z).mean()
  return np.mean([min(a.mean() / b.mean(), tau) for a, b in zip(d_img, d_z)])


def test_mode_seeking_and_diversity_sensitive_ratios_equal_a_direct_computation():
  images, z = _pairs()
  np.testing.assert_allclose(penalties.mode_seeking_ratio(images, z), _direct(images, z),
                             rtol=1e-5)
  for tau in (1e9, 0.6, 0.1):
    np.testing.assert_allclose(penalties.diversity_sensitive_ratio(images, z, tau),
                               _direct(images, z, tau), rtol=1e-5)
  # a G that ignores z has ratio 0; one that moves twice as far per unit of z has twice it
  np.testing.assert_allclose(penalties.mode_seeking_ratio(np.ones_like(images), z), 0.0)
  np.testing.assert_allclose(penalties.mode_seeking_ratio(2 * images, z),
                             2 * _direct(images, z), rtol=1e-5)
  with pytest.raises(ValueError, match="at least 2"):
    penalties.mode_seeking_ratio(images[:1], z[:1])


def _g_loss(loss_cfg, fake, z):
  objective = losses.build(loss_cfg)
  out = DOutput(logits=jnp.linspace(-1, 1, len(fake)))
  inputs = GANInputs(real=None, fake=jnp.asarray(fake), z=jnp.asarray(z))
  return objective, objective.g_loss(out, inputs, {})


@pytest.mark.parametrize("name", ["non_saturating", "hinge", "wgan"])
def test_each_term_adds_its_formula_to_any_objectives_generator_loss(test_config, name):
  images, z = _pairs(8)
  cfg = test_config.loss
  cfg.name = name
  base_objective, (base, _) = _g_loss(cfg, images, z)
  assert not base_objective.twin_conditions  # off by default: nothing changes
  cfg.mode_seeking.weight, cfg.mode_seeking.eps = 0.5, 1e-3
  objective, (value, metrics) = _g_loss(cfg, images, z)
  ratio = _direct(images, z)
  np.testing.assert_allclose(metrics["mode_seeking"], ratio, rtol=1e-5)
  np.testing.assert_allclose(value, base + 0.5 / (ratio + 1e-3), rtol=1e-5)
  assert objective.twin_conditions
  cfg.mode_seeking.weight = 0.0
  cfg.diversity_sensitive.weight, cfg.diversity_sensitive.tau = 2.0, 0.7
  objective, (value, metrics) = _g_loss(cfg, images, z)
  term = _direct(images, z, 0.7)
  np.testing.assert_allclose(metrics["diversity_sensitive"], term, rtol=1e-5)
  np.testing.assert_allclose(value, base - 2.0 * term, rtol=1e-5)
  assert objective.twin_conditions


def test_the_terms_gradient_pushes_the_two_halves_apart(test_config):
  """A small step down G's loss on the images themselves raises the ratio."""
  images, z = _pairs(8)
  test_config.loss.mode_seeking.weight = 1.0
  objective = losses.build(test_config.loss)
  out = DOutput(logits=jnp.zeros(8))

  def loss(x):
    return objective.g_loss(out, GANInputs(real=None, fake=x, z=jnp.asarray(z)), {})[0]

  x = jnp.asarray(images) * 0.1  # a near-collapsed batch
  stepped = x - 1e-3 * jax.grad(loss)(x)
  assert penalties.mode_seeking_ratio(stepped, z) > penalties.mode_seeking_ratio(x, z)


@pytest.mark.parametrize("field,value,match", [
    ("mode_seeking.weight", -1.0, "loss.mode_seeking.weight must be >= 0"),
    ("mode_seeking.eps", 0.0, "loss.mode_seeking.eps must be > 0"),
    ("diversity_sensitive.weight", -0.1, "loss.diversity_sensitive.weight must be >= 0"),
    ("diversity_sensitive.tau", 0.0, "loss.diversity_sensitive.tau must be > 0"),
])
def test_bad_term_settings_are_refused_with_the_key(test_config, field, value, match):
  block, key = field.split(".")
  test_config.loss[block].weight = 1.0
  test_config.loss[block][key] = value
  with pytest.raises(ConfigError, match=match):
    losses.build(test_config.loss)


def _recording_g_pairs(monkeypatch):
  """Experiments built after this report what G's update saw: ``twinned`` (1 when example
  i + B/2 has example i's condition and another z) and, for D's update, ``labels_paired``."""
  build = losses.build

  def recording(loss_cfg):
    objective = build(loss_cfg)

    def g_loss(fake_out, inputs, state, _inner=objective.g_loss):
      value, metrics = _inner(fake_out, inputs, state)
      h = inputs.fake.shape[0] // 2
      y = inputs.fake_labels
      same_y = jnp.all(y[:h] == y[h:2 * h])
      other_z = jnp.all(jnp.any(inputs.z[:h] != inputs.z[h:2 * h], axis=-1))
      varied_y = jnp.any(y[:h] != y[0])  # the conditions are drawn, not one repeated
      return value, dict(metrics, twinned=(same_y & other_z & varied_y).astype(jnp.float32))

    def d_loss(real_out, fake_out, inputs, state, _inner=objective.d_loss):
      value, metrics = _inner(real_out, fake_out, inputs, state)
      same = jnp.all(inputs.fake_labels == inputs.real_labels).astype(jnp.float32)
      return value, dict(metrics, labels_paired=same)
    return dataclasses.replace(objective, g_loss=g_loss, d_loss=d_loss)

  monkeypatch.setattr(losses, "build", recording)


@pytest.mark.parametrize("loss,dynamic", [("non_saturating", False), ("non_saturating", True),
                                          ("wgan_gp", False), ("wgan_gp", True)])
def test_conditional_generator_batches_repeat_their_conditions_under_fresh_z(
    test_config, monkeypatch, loss, dynamic):
  """With a diversity term G's batch holds each condition twice under two z, in fixed and
  dynamic updates; WGAN-GP's critic batches stay paired with the real labels."""
  test_config.loss.name = loss
  test_config.model.conditional = True
  test_config.model.dcgan.d_norm = "layer"
  test_config.loss.dynamic_steps.enabled = dynamic
  test_config.loss.mode_seeking.weight = 1.0
  _recording_g_pairs(monkeypatch)
  exp = Experiment(test_config, parallel.make_mesh(1))
  _, metrics = exp.train_step(exp.init_state(), exp.put_batch(batch_for(test_config)))
  assert float(metrics["twinned"]) == 1.0
  assert float(metrics["labels_paired"]) == (1.0 if loss == "wgan_gp" else 0.0)
  assert float(metrics["mode_seeking"]) > 0 and bool(metrics["finite"])


def test_without_a_term_generator_conditions_are_not_twinned(test_config, monkeypatch):
  test_config.model.conditional = True
  _recording_g_pairs(monkeypatch)
  exp = Experiment(test_config, parallel.make_mesh(1))
  _, metrics = exp.train_step(exp.init_state(), exp.put_batch(batch_for(test_config)))
  assert float(metrics["twinned"]) == 0.0


def test_the_terms_are_global_batch_terms_on_1_and_8_devices(test_config):
  """The halves pair examples across devices: 8 devices give the 1-device step (SGD)."""
  test_config.model.conditional = True
  test_config.loss.mode_seeking.weight = 1.0
  test_config.loss.diversity_sensitive.weight = 0.5
  for opt in (test_config.g_optimizer, test_config.d_optimizer):
    opt.name = "sgd"
  results = []
  for n in (1, 8):
    exp = Experiment(test_config, parallel.make_mesh(n))
    state, metrics = exp.train_step(exp.init_state(), exp.put_batch(batch_for(test_config)))
    results.append((jax.device_get(state.g_params), jax.device_get(metrics)))
  (p1, m1), (p8, m8) = results
  for k in ("mode_seeking", "diversity_sensitive", "g_loss"):
    np.testing.assert_allclose(m1[k], m8[k], rtol=1e-4, err_msg=k)
  for a, b in zip(jax.tree.leaves(p1), jax.tree.leaves(p8)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
