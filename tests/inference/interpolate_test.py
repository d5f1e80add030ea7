"""Interpolation: the path maths, and strips whose ends are the generator's own samples."""

import numpy as np
import pytest

from gan_jax.inference import interpolate
from gan_jax.utils import parallel


def test_slerp_keeps_the_norm_of_equal_norm_endpoints_and_lerp_dips_by_the_half_angle_cosine():
  rng = np.random.default_rng(0)
  a, b = rng.normal(size=64), rng.normal(size=64)
  b *= np.linalg.norm(a) / np.linalg.norm(b)
  t = np.linspace(0, 1, 11)
  s, lin = interpolate.slerp(a, b, t), interpolate.lerp(a, b, t)
  np.testing.assert_allclose(s[0], a, rtol=1e-6)
  np.testing.assert_allclose(s[-1], b, rtol=1e-6)
  np.testing.assert_allclose(np.linalg.norm(s, axis=1), np.linalg.norm(a), rtol=1e-5)
  omega = np.arccos(a @ b / (a @ a))
  assert np.linalg.norm(lin[5]) == pytest.approx(np.linalg.norm(a) * np.cos(omega / 2), rel=1e-5)
  # the angle to a grows linearly in t along the arc
  angles = np.arccos(np.clip(s @ a / (np.linalg.norm(s, axis=1) * np.linalg.norm(a)), -1, 1))
  np.testing.assert_allclose(angles, t * omega, atol=1e-5)
  # unequal norms: in the plane of a and b, from |a| to |b|; parallel vectors: a straight line
  c = 3 * b
  sc = interpolate.slerp(a, c, t)
  assert np.linalg.norm(sc[-1]) == pytest.approx(np.linalg.norm(c), rel=1e-5)
  basis = np.linalg.qr(np.stack([a, c], 1))[0]
  np.testing.assert_allclose(basis @ (basis.T @ sc.T), sc.T, atol=1e-5)
  np.testing.assert_allclose(interpolate.slerp(a, 2 * a, t), interpolate.lerp(a, 2 * a, t),
                             rtol=1e-6)


@pytest.mark.parametrize("conditional", [False, True])
def test_every_strip_starts_and_ends_at_the_generators_samples(test_config, conditional):
  from gan_jax.training.build import Experiment
  test_config.model.conditional = conditional
  exp = Experiment(test_config, parallel.make_mesh(1))
  state = exp.init_state()
  pairs, steps = 3, 4
  out = interpolate.strips(exp, state, pairs, steps, seed=5)
  z0, z1, y0, y1 = interpolate.endpoints(exp, pairs, seed=5)
  start, end = exp.sampling.sample(state, z0, y0), exp.sampling.sample(state, z1, y0)
  for name in ("latent_linear", "latent_slerp", "pixel"):
    imgs, cols, _ = out[name]
    assert cols == steps and imgs.shape == (pairs * steps, 32, 32, 1)
    rows = imgs.reshape(pairs, steps, 32, 32, 1)
    np.testing.assert_allclose(rows[:, 0], start, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(rows[:, -1], end, atol=1e-5, err_msg=name)
    assert not np.allclose(rows[:, 1], rows[:, 0])  # the path moves
  lin, sl = out["latent_linear"][2]["z"], out["latent_slerp"][2]["z"]
  assert np.linalg.norm(lin, axis=1).min() < np.linalg.norm(sl, axis=1).min()
  if not conditional:
    assert set(out) == {"latent_linear", "latent_slerp", "pixel"}
    return
  # the condition row: z fixed, from the pair's first condition to its second
  imgs, cols, inputs = out["condition"]
  rows = imgs.reshape(pairs, steps, 32, 32, 1)
  np.testing.assert_allclose(rows[:, 0], start, atol=1e-5)
  np.testing.assert_allclose(rows[:, -1], exp.sampling.sample(state, z0, y1), atol=1e-5)
  eye = np.eye(2)
  np.testing.assert_allclose(inputs["y"][1], 2 / 3 * eye[y0[0]] + 1 / 3 * eye[y1[0]], rtol=1e-5)
  # the switch rows: one column per class, the noise of the row's first endpoint
  imgs, cols, inputs = out["switch"]
  assert cols == 2 and imgs.shape[0] == pairs * 2
  for c in range(2):
    np.testing.assert_allclose(imgs.reshape(pairs, 2, 32, 32, 1)[:, c],
                               exp.sampling.sample(state, z0, np.full(pairs, c, np.int32)), atol=1e-5)


def test_class_weights_and_class_indices_condition_the_same(test_config):
  from gan_jax.training.build import Experiment
  test_config.model.conditional = True
  exp = Experiment(test_config, parallel.make_mesh(1))
  state = exp.init_state()
  z, _, _, _ = interpolate.endpoints(exp, 4, seed=0)
  idx = np.array([0, 1, 1, 0], np.int32)
  np.testing.assert_allclose(exp.sampling.sample(state, z, np.eye(2, dtype=np.float32)[idx]),
                             exp.sampling.sample(state, z, idx), atol=1e-6)
