"""Model shapes, parameter counts (closed forms from R0/R3), fast == reference."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from gan_jax import models


def count(tree):
  return sum(x.size for x in jax.tree.leaves(tree))


def cfg(name, latent, hidden, impl="fast"):
  return ml_collections.ConfigDict(dict(name=name, latent_dim=latent, g_hidden=hidden,
                                        d_hidden=hidden, dropout=0.2, conv_impl=impl))


def dcgan_counts(l, h, c, size):
  """Closed-form parameter counts (no conv biases; BN scale+bias)."""
  n = int(np.log2(size // 4))
  widths = [h * 2 ** i for i in range(n - 1, -1, -1)]  # G: 4h, 2h, h at 32px
  g = l * 16 * widths[0] + 2 * widths[0]
  for a, b in zip(widths, widths[1:]):
    g += a * b * 16 + 2 * b
  g += widths[-1] * c * 16
  dw = [h * 2 ** i for i in range(n)]  # D: h, 2h, 4h at 32px
  d = c * dw[0] * 16
  for a, b in zip(dw, dw[1:]):
    d += a * b * 16 + 2 * b
  d += dw[-1] * 16
  return g, d


def mlp_counts(l, h, c, size):
  out = c * size * size
  g = (l * 4 * h + 4 * h + 2 * 4 * h) + (4 * h * 2 * h + 2 * h + 2 * 2 * h) \
      + (2 * h * h + h + 2 * h) + (h * out + out)
  d = (out * h + h) + (h * 2 * h + 2 * h) + (2 * h * 4 * h + 4 * h) + (4 * h + 1)
  return g, d


@pytest.mark.parametrize("name", ["dcgan", "mlp"])
@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("latent,hidden", [(16, 16), (100, 64)])
def test_shapes_and_parameter_counts(name, size, latent, hidden):
  channels = 3 if size == 64 else 1
  g, d = models.build(cfg(name, latent, hidden), channels, size)
  z = jnp.zeros((2, latent))
  gv = g.init(jax.random.PRNGKey(0), z, train=False)
  x = g.apply(gv, z, train=False)
  assert x.shape == (2, size, size, channels)
  assert float(jnp.max(jnp.abs(x))) <= 1.0
  dv = d.init(jax.random.PRNGKey(1), x, train=False)
  assert d.apply(dv, x, train=False).shape == (2,)
  want_g, want_d = (dcgan_counts if name == "dcgan" else mlp_counts)(latent, hidden, channels, size)
  assert count(gv["params"]) == want_g
  assert count(dv["params"]) == want_d


def test_dcgan_init_is_normal_002():
  g, d = models.build(cfg("dcgan", 100, 64), 1, 32)
  gv = g.init(jax.random.PRNGKey(0), jnp.zeros((2, 100)), train=False)
  k = np.asarray(gv["params"]["ConvTranspose_1"]["kernel"])
  assert abs(k.std() - 0.02) < 0.002 and abs(k.mean()) < 0.002
  s = np.asarray(gv["params"]["BatchNorm_1"]["scale"])
  assert abs(s.mean() - 1.0) < 0.01 and 0.01 < s.std() < 0.03


@pytest.mark.parametrize("size", [32, 64])
def test_fast_and_reference_models_agree(size):
  """Same parameters, same outputs and gradients: only the formulation differs."""
  z = jax.random.normal(jax.random.PRNGKey(0), (4, 20))
  out = {}
  for impl in ("fast", "reference"):
    g, d = models.build(cfg("dcgan", 20, 8, impl), 1, size)
    gv = g.init(jax.random.PRNGKey(0), z)
    dv = d.init(jax.random.PRNGKey(1), jnp.zeros((4, size, size, 1)))

    def f(gp, dp):
      img, _ = g.apply({"params": gp, "batch_stats": gv["batch_stats"]}, z, mutable=["batch_stats"])
      logits, _ = d.apply({"params": dp, "batch_stats": dv["batch_stats"]}, img, mutable=["batch_stats"])
      return jnp.sum(jnp.sin(logits)), img

    (v, img), grads = jax.value_and_grad(f, argnums=(0, 1), has_aux=True)(gv["params"], dv["params"])
    out[impl] = (v, img, grads)
  (va, ia, ga), (vb, ib, gb) = out["fast"], out["reference"]
  np.testing.assert_allclose(va, vb, rtol=1e-5)
  np.testing.assert_allclose(ia, ib, atol=1e-5)
  for a, b in zip(jax.tree.leaves(ga), jax.tree.leaves(gb)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * float(np.abs(b).max() + 1))


def test_unknown_model_is_a_clear_error():
  with pytest.raises(ValueError, match="choose one of"):
    models.build(cfg("resnet", 16, 16), 1, 32)
  with pytest.raises(ValueError, match="image_size"):
    models.build(cfg("dcgan", 16, 16), 1, 28)[0].init(jax.random.PRNGKey(0), jnp.zeros((1, 16)))
