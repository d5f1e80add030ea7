"""Loss values against their textbook formulas; a new objective plugs in by name."""

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import losses, parallel, train


def bce(p, y):
  return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_non_saturating_and_minimax_match_bce():
  rng = np.random.default_rng(0)
  real, fake = rng.normal(size=32), rng.normal(size=32)
  sig = lambda v: 1 / (1 + np.exp(-v))
  d, m = losses.get("non_saturating").d_loss(jnp.asarray(real), jnp.asarray(fake), None, None, {}, None)
  np.testing.assert_allclose(d, bce(sig(real), 1) + bce(sig(fake), 0), rtol=1e-5)
  np.testing.assert_allclose(m["D_x"], sig(real).mean(), rtol=1e-5)
  np.testing.assert_allclose(m["D_G_z1"], sig(fake).mean(), rtol=1e-5)
  g, _ = losses.get("non_saturating").g_loss(jnp.asarray(fake), None, {}, None)
  np.testing.assert_allclose(g, bce(sig(fake), 1), rtol=1e-5)
  g, _ = losses.get("minimax").g_loss(jnp.asarray(fake), None, {}, None)
  np.testing.assert_allclose(g, np.mean(np.log(1 - sig(fake))), rtol=1e-5)


def test_an_objective_with_state_and_constraint_plugs_in(test_config, monkeypatch):
  """Critic clipping and a running statistic, registered by name, unchanged loop."""
  def d_loss(real_out, fake_out, real, fake, state, cfg):
    gap = jnp.mean(jnp.abs(real - fake))  # sees the images, as BEGAN needs
    return jnp.mean(fake_out) - jnp.mean(real_out), {"D_x": jnp.mean(real_out),
                                                     "D_G_z1": jnp.mean(fake_out), "gap": gap}

  def g_loss(fake_out, fake, state, cfg):
    return -jnp.mean(fake_out), {"D_G_z2": jnp.mean(fake_out)}

  toy = losses.GANLoss(
      d_loss=d_loss, g_loss=g_loss,
      init_state=lambda cfg: {"k": jnp.zeros(())},
      update_state=lambda s, m, cfg: {"k": s["k"] + m["gap"]},
      constrain_d_params=lambda p, cfg: jax.tree.map(lambda w: jnp.clip(w, -0.01, 0.01), p))
  monkeypatch.setitem(losses.LOSSES, "toy_wgan", toy)
  test_config.loss.name = "toy_wgan"
  test_config.loss.d_steps = 3
  mesh = parallel.make_mesh(1)
  exp = train.Experiment(test_config, mesh)
  state = exp.init_state()
  batch = {"image": np.random.default_rng(0).uniform(-1, 1, (3, 16, 32, 32, 1)).astype(np.float32),
           "label": np.zeros((3, 16), np.int32)}
  state, metrics = exp.train_step(state, jax.device_put(batch, parallel.batch_sharding(mesh)))
  assert max(float(jnp.max(jnp.abs(w))) for w in jax.tree.leaves(state.d_params)) <= 0.01
  assert float(state.loss_state["k"]) > 0
  assert "gap" in metrics and bool(metrics["finite"])
