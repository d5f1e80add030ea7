"""Optimizers follow PyTorch's update formulas (the WGAN recipe needs PyTorch's RMSprop)."""

import jax.numpy as jnp
import numpy as np
import pytest

from configs import default
from gan_jax.training import optimizers
from gan_jax.utils.errors import ConfigError


def torch_rmsprop(params, grads_seq, lr, alpha, eps, momentum=0.0, centered=False):
  """torch.optim.RMSprop's documented algorithm, in numpy (eps outside the square root)."""
  p = params.copy()
  v = np.zeros_like(p)
  g_avg = np.zeros_like(p)
  buf = np.zeros_like(p)
  for g in grads_seq:
    v = alpha * v + (1 - alpha) * g * g
    denom = v
    if centered:
      g_avg = alpha * g_avg + (1 - alpha) * g
      denom = v - g_avg * g_avg
    denom = np.sqrt(denom) + eps
    if momentum > 0:
      buf = momentum * buf + g / denom
      p = p - lr * buf
    else:
      p = p - lr * g / denom
  return p


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.9, False), (0.0, True)])
def test_rmsprop_matches_pytorchs_update_formula(momentum, centered):
  """Tiny gradients make eps matter: eps inside the sqrt would differ by orders of magnitude."""
  cfg = default.optimizer("rmsprop", lr=5e-5)
  cfg.rmsprop.momentum, cfg.rmsprop.centered = momentum, centered
  tx = optimizers.make(cfg)
  rng = np.random.default_rng(0)
  params = rng.normal(size=(6,)).astype(np.float64)
  grads = [rng.normal(size=(6,)) * scale for scale in (1e-9, 1e-3, 1.0, 1e-6, 10.0)]
  p = jnp.asarray(params, jnp.float32)
  state = tx.init(p)
  for g in grads:
    updates, state = tx.update(jnp.asarray(g, jnp.float32), state, p)
    p = p + updates
  want = torch_rmsprop(params, grads, 5e-5, 0.99, 1e-8, momentum, centered)
  np.testing.assert_allclose(np.asarray(p), want, rtol=0, atol=1e-7)


def test_adam_and_sgd_take_their_own_blocks_fields():
  cfg = default.optimizer("sgd", lr=0.1)
  cfg.sgd.momentum = 0.5
  tx = optimizers.make(cfg)
  p = jnp.ones(3)
  state = tx.init(p)
  for _ in range(2):
    u, state = tx.update(jnp.ones(3), state, p)
    p = p + u
  np.testing.assert_allclose(p, 1 - 0.1 - 0.1 * 1.5, rtol=1e-6)


@pytest.mark.parametrize("lr", [0.0, -1e-3])
def test_non_positive_learning_rate_is_refused(lr):
  with pytest.raises(ConfigError, match="g_optimizer.lr must be > 0"):
    optimizers.make(default.optimizer(lr=lr), "g_optimizer")


def test_linear_schedule_decays_from_lr_to_its_final_scale_over_the_run():
  cfg = default.optimizer("sgd", lr=0.1)
  cfg.schedule, cfg.final_scale = "linear", 0.2
  # 4 steps of 2 updates each (a critic's d_steps): the decay spans the 8 updates
  tx = optimizers.make(cfg, "d_optimizer", updates_per_step=2, num_steps=4)
  p = jnp.zeros(())
  state = tx.init(p)
  steps = []
  for _ in range(10):
    u, state = tx.update(jnp.ones(()), state, p)
    steps.append(-float(u))
  want = [0.1 - (0.1 - 0.02) * min(i, 8) / 8 for i in range(10)]
  np.testing.assert_allclose(steps, want, rtol=1e-6)


def test_constant_is_the_default_and_an_unknown_schedule_is_refused():
  cfg = default.optimizer("adam", lr=1e-3)
  assert cfg.schedule == "constant"
  cfg.schedule = "cosine"
  with pytest.raises(ConfigError, match="g_optimizer.schedule"):
    optimizers.make(cfg, "g_optimizer", num_steps=10)
  cfg.schedule, cfg.final_scale = "linear", 1.5
  with pytest.raises(ConfigError, match="final_scale must be in"):
    optimizers.make(cfg, "g_optimizer", num_steps=10)
