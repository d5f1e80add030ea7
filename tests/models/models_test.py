"""Model shapes, parameter counts (closed forms from the study's architectures), the
conditioning contract, configurable details, fast == reference formulation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import default
from gan_jax import models
from gan_jax.models import Condition, DOutput, LatentSampler
from gan_jax.models.conditioning import LabelPool
from gan_jax.utils.errors import ConfigError


def count(tree):
  return sum(x.size for x in jax.tree.leaves(tree))


def cfg(name, latent, hidden, impl="fast"):
  c = default.get_config().model
  c.name, c.latent_dim, c.g_hidden, c.d_hidden = name, latent, hidden, hidden
  c.dcgan.conv_impl = impl
  return c


def build(c, channels=1, size=32, condition=Condition()):
  return models.build(c, channels=channels, image_size=size, condition=condition)


def dcgan_counts(l, h, c, size, g_bias=False, d_bias=False):
  """Closed-form parameter counts (BN scale+bias; conv biases when switched on)."""
  n = int(np.log2(size // 4))
  widths = [h * 2 ** i for i in range(n - 1, -1, -1)]  # G: 4h, 2h, h at 32px
  g = l * 16 * widths[0] + 2 * widths[0]
  for a, b in zip(widths, widths[1:]):
    g += a * b * 16 + 2 * b
  g += widths[-1] * c * 16
  g += (sum(widths) + c) * g_bias
  dw = [h * 2 ** i for i in range(n)]  # D: h, 2h, 4h at 32px
  d = c * dw[0] * 16
  for a, b in zip(dw, dw[1:]):
    d += a * b * 16 + 2 * b
  d += dw[-1] * 16
  d += (sum(dw) + 1) * d_bias
  return g, d


def mlp_counts(l, h, c, size):
  out = c * size * size
  g = (l * 4 * h + 4 * h + 2 * 4 * h) + (4 * h * 2 * h + 2 * h + 2 * 2 * h) \
      + (2 * h * h + h + 2 * h) + (h * out + out)
  d = (out * h + h) + (h * 2 * h + 2 * h) + (2 * h * 4 * h + 4 * h) + (4 * h + 1)
  return g, d


def init(g, d, latent, size, channels, condition=Condition()):
  z, y = LatentSampler(latent, condition).dummy(2)
  gv = g.init(jax.random.PRNGKey(0), z, y, train=False)
  x = g.apply(gv, z, y, train=False)
  dv = d.init(jax.random.PRNGKey(1), x, y, train=False)
  return gv, dv, x, d.apply(dv, x, y, train=False)


@pytest.mark.parametrize("name", ["dcgan", "mlp"])
@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("latent,hidden", [(16, 16), (100, 64)])
def test_shapes_and_parameter_counts_match_the_closed_forms(name, size, latent, hidden):
  channels = 3 if size == 64 else 1
  g, d = build(cfg(name, latent, hidden), channels, size)
  gv, dv, x, out = init(g, d, latent, size, channels)
  assert x.shape == (2, size, size, channels)
  assert float(jnp.max(jnp.abs(x))) <= 1.0
  assert isinstance(out, DOutput) and out.logits.shape == (2,)
  assert out.class_logits is None and out.reconstruction is None
  want_g, want_d = (dcgan_counts if name == "dcgan" else mlp_counts)(latent, hidden, channels, size)
  assert count(gv["params"]) == want_g
  assert count(dv["params"]) == want_d


def test_dcgan_conv_biases_are_a_switch_with_pytorchs_default_init():
  c = cfg("dcgan", 16, 8)
  c.dcgan.g_bias = c.dcgan.d_bias = True
  g, d = build(c)
  gv, dv, _, _ = init(g, d, 16, 32, 1)
  assert (count(gv["params"]), count(dv["params"])) == dcgan_counts(16, 8, 1, 32, True, True)
  # torch: ConvTranspose2d(in=32, out=16, k=4) draws its bias from U(+-1/sqrt(16 * 4 * 4))
  b = np.asarray(gv["params"]["ConvTranspose_1"]["bias"])
  assert b.shape == (16,) and np.abs(b).max() <= 1 / np.sqrt(16 * 16) and np.abs(b).max() > 0


def test_dcgan_init_is_normal_002_and_bn_scale_init_is_a_switch():
  c = cfg("dcgan", 100, 64)
  g, d = build(c)
  gv = g.init(jax.random.PRNGKey(0), jnp.zeros((2, 100)), train=False)
  k = np.asarray(gv["params"]["ConvTranspose_1"]["kernel"])
  assert abs(k.std() - 0.02) < 0.002 and abs(k.mean()) < 0.002
  s = np.asarray(gv["params"]["BatchNorm_1"]["scale"])
  assert abs(s.mean() - 1.0) < 0.01 and 0.01 < s.std() < 0.03
  c.dcgan.bn_scale_init = "ones"
  g, _ = build(c)
  gv = g.init(jax.random.PRNGKey(0), jnp.zeros((2, 100)), train=False)
  assert np.all(np.asarray(gv["params"]["BatchNorm_1"]["scale"]) == 1.0)


def test_mlp_discriminator_slope_and_dropout_are_configurable():
  """The study's first report's D: no dropout, slope 0.01; its second's: dropout 0.2, slope 0.2."""
  c = cfg("mlp", 16, 8)
  c.mlp.d_dropout, c.mlp.d_slope = 0.0, 0.01
  _, d = build(c)
  x = jax.random.normal(jax.random.PRNGKey(0), (4, 32, 32, 1))
  dv = d.init(jax.random.PRNGKey(1), x, train=False)
  # no dropout: train mode is deterministic and equals eval mode
  a = d.apply(dv, x, train=True, rngs={"dropout": jax.random.PRNGKey(2)}).logits
  b = d.apply(dv, x, train=True, rngs={"dropout": jax.random.PRNGKey(3)}).logits
  np.testing.assert_array_equal(a, b)
  # slope 0.01 by hand
  p = dv["params"]
  h = x.reshape(4, -1)
  for i in range(3):
    h = h @ p[f"TorchDense_{i}"]["kernel"] + p[f"TorchDense_{i}"]["bias"]
    h = jnp.where(h > 0, h, 0.01 * h)
  want = (h @ p["TorchDense_3"]["kernel"] + p["TorchDense_3"]["bias"]).reshape(4)
  np.testing.assert_allclose(a, want, rtol=1e-5, atol=1e-6)
  c.mlp.d_dropout = 0.2
  _, d = build(c)
  a = d.apply(dv, x, train=True, rngs={"dropout": jax.random.PRNGKey(2)}).logits
  b = d.apply(dv, x, train=True, rngs={"dropout": jax.random.PRNGKey(3)}).logits
  assert not np.allclose(a, b)


@pytest.mark.parametrize("name", ["dcgan", "mlp"])
@pytest.mark.parametrize("kind,label_input,label_dim", [
    ("class", "planes", 0), ("class", "dense_plane", 6), ("multi_hot", "planes", 6),
    ("multi_hot", "dense_plane", 0)])
def test_conditional_models_take_labels_and_the_label_changes_the_output(name, kind, label_input,
                                                                          label_dim):
  c = cfg(name, 16, 8)
  c.conditional, c.g_label_dim, c.d_label_input = True, label_dim, label_input
  cond = Condition(kind, 5)
  g, d = build(c, condition=cond)
  sampler = LatentSampler(16, cond, label_draw="random")
  z, y = sampler.draw(jax.random.PRNGKey(0), 4)
  gv = g.init(jax.random.PRNGKey(0), z, y, train=False)
  x = g.apply(gv, z, y, train=False)
  dv = d.init(jax.random.PRNGKey(1), x, y, train=False)
  out = d.apply(dv, x, y, train=False)
  assert x.shape == (4, 32, 32, 1) and out.logits.shape == (4,)
  _, y2 = sampler.draw(jax.random.PRNGKey(7), 4)
  assert not np.allclose(g.apply(gv, z, y2, train=False), x)
  assert not np.allclose(d.apply(dv, x, y2, train=False).logits, out.logits)


def test_dcgan_discriminator_sees_one_label_plane_per_class():
  c = cfg("dcgan", 16, 8)
  c.conditional = True
  _, d = build(c, condition=Condition("class", 10))
  dv = d.init(jax.random.PRNGKey(1), jnp.zeros((2, 32, 32, 1)), jnp.zeros((2,), jnp.int32))
  assert dv["params"]["Conv_0"]["kernel"].shape == (4, 4, 1 + 10, 8)


def test_sampler_draws_labels_of_the_dataset_kind_and_grid_rows_are_classes():
  s = LatentSampler(8, Condition("class", 10))
  z, y, cols = s.grid(jax.random.PRNGKey(0), 80)
  assert cols == 8 and z.shape == (80, 8)
  assert list(np.asarray(y)) == [c for c in range(10) for _ in range(8)]
  np.testing.assert_array_equal(z[:8], z[8:16])  # the same noise down each column
  m = LatentSampler(8, Condition("multi_hot", 24), label_draw="random", max_active=3)
  _, y = m.draw(jax.random.PRNGKey(1), 500)
  on = np.asarray(y).sum(axis=1)
  assert y.shape == (500, 24) and set(on) == {1, 2, 3}
  assert LatentSampler(8).draw(jax.random.PRNGKey(0), 3)[1] is None


def test_multi_hot_conditions_are_drawn_from_the_training_labels_at_their_frequencies():
  """Only the training set's own vectors come out (its (hair, eye) pairs), in proportion."""
  train = np.zeros((1000, 5), np.float32)
  train[:700, [0, 3]] = 1     # 70%: tags 0 and 3 together
  train[700:, [1, 4]] = 1     # 30%: tags 1 and 4 together
  s = LatentSampler(8, Condition("multi_hot", 5), label_pool=LabelPool(train))
  _, y = s.draw(jax.random.PRNGKey(3), 4000)
  rows = {tuple(r) for r in np.asarray(y).tolist()}
  assert rows == {(1, 0, 0, 1, 0), (0, 1, 0, 0, 1)}
  assert abs(float(np.mean(np.asarray(y)[:, 0])) - 0.7) < 0.03
  _, yi = s.draw_indexed(jax.random.PRNGKey(4), 0, 64)
  assert {tuple(r) for r in np.asarray(yi).tolist()} <= rows
  # equal pools compare and hash equal (a jitted step closing over either is one entry)
  assert LabelPool(train) == LabelPool(train[::-1]) and hash(LabelPool(train)) == hash(
      LabelPool(train[::-1]))
  with pytest.raises(ConfigError, match="label_draw='random'"):
    LatentSampler(8, Condition("multi_hot", 5)).draw(jax.random.PRNGKey(0), 2)
  with pytest.raises(ConfigError, match="5 tags"):
    LatentSampler(8, Condition("multi_hot", 6), label_pool=LabelPool(train)).draw(
        jax.random.PRNGKey(0), 2)
  # a pool given a loader reads the labels at its first draw, once
  calls = []
  lazy = LabelPool(lambda: calls.append(1) or train)
  s = LatentSampler(8, Condition("multi_hot", 5), label_pool=lazy)
  s.dummy(2)
  assert calls == [] and lazy == lazy and lazy != LabelPool(train)
  _, y = s.draw(jax.random.PRNGKey(3), 4000)
  s.draw(jax.random.PRNGKey(4), 10)
  assert calls == [1] and {tuple(r) for r in np.asarray(y).tolist()} == rows


def test_indexed_draws_do_not_depend_on_how_they_are_batched():
  s = LatentSampler(8, Condition("class", 10))
  key = jax.random.PRNGKey(3)
  z, y = s.draw_indexed(key, 0, 12)
  z1, y1 = s.draw_indexed(key, 0, 5)
  z2, y2 = s.draw_indexed(key, 5, 7)
  np.testing.assert_array_equal(np.concatenate([z1, z2]), z)
  np.testing.assert_array_equal(np.concatenate([y1, y2]), y)


@pytest.mark.parametrize("size", [32, 64])
def test_fast_and_reference_formulations_give_the_same_outputs_and_gradients(size):
  z = jax.random.normal(jax.random.PRNGKey(0), (4, 20))
  out = {}
  for impl in ("fast", "reference"):
    g, d = build(cfg("dcgan", 20, 8, impl), 1, size)
    gv = g.init(jax.random.PRNGKey(0), z)
    dv = d.init(jax.random.PRNGKey(1), jnp.zeros((4, size, size, 1)))

    def f(gp, dp):
      img, _ = g.apply({"params": gp, "batch_stats": gv["batch_stats"]}, z, mutable=["batch_stats"])
      o, _ = d.apply({"params": dp, "batch_stats": dv["batch_stats"]}, img, mutable=["batch_stats"])
      return jnp.sum(jnp.sin(o.logits)), img

    (v, img), grads = jax.value_and_grad(f, argnums=(0, 1), has_aux=True)(gv["params"], dv["params"])
    out[impl] = (v, img, grads)
  (va, ia, ga), (vb, ib, gb) = out["fast"], out["reference"]
  np.testing.assert_allclose(va, vb, rtol=1e-5)
  np.testing.assert_allclose(ia, ib, atol=1e-5)
  for a, b in zip(jax.tree.leaves(ga), jax.tree.leaves(gb)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * float(np.abs(b).max() + 1))


def test_unknown_model_and_bad_image_size_are_config_errors():
  with pytest.raises(ConfigError, match="unknown model.name 'resnet'; choose one of"):
    build(cfg("resnet", 16, 16))
  with pytest.raises(ConfigError, match="image_size"):
    build(cfg("dcgan", 16, 16), 1, 28)
