"""The DCGAN up-sampling variants, D's normalisation and spectral norm, the BEGAN networks,
DiffAugment: shapes, closed-form parameter counts, fast == reference, formulas."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import default
from gan_jax import models
from gan_jax.models import Condition, LatentSampler
from gan_jax.training import augment
from gan_jax.utils.errors import ConfigError


def count(tree):
  return sum(x.size for x in jax.tree.leaves(tree))


def dcgan_cfg(upsample, latent=16, hidden=8, impl="fast"):
  c = default.get_config().model
  c.latent_dim, c.g_hidden, c.d_hidden = latent, hidden, hidden
  c.dcgan.upsample, c.dcgan.conv_impl = upsample, impl
  return c


def counts(l, h, c, size, upsample, downsample="mirror"):
  """G: a 4x4 projection, then doublings (k4 transposed: 16 taps; resize + k3 conv: 9);
  D mirrors unless told (strided: 16 taps); batch norm adds 2 per channel where the study's
  networks have it."""
  taps = 16 if upsample == "transposed" else 9
  d_taps = taps if downsample == "mirror" else (16 if downsample == "strided" else 9)
  n = int(np.log2(size // 4))
  widths = [h * 2 ** i for i in range(n - 1, -1, -1)]
  g = l * 16 * widths[0] + 2 * widths[0]
  for a, b in zip(widths, widths[1:]):
    g += a * b * taps + 2 * b
  g += widths[-1] * c * taps
  dw = [h * 2 ** i for i in range(n)]
  d = c * dw[0] * d_taps
  for a, b in zip(dw, dw[1:]):
    d += a * b * d_taps + 2 * b
  d += dw[-1] * 16
  return g, d


def init(c, channels, size, latent):
  g, d = models.build(c, channels=channels, image_size=size, condition=Condition())
  z, _ = LatentSampler(latent).dummy(3)
  z = jax.random.normal(jax.random.PRNGKey(5), z.shape)
  gv = g.init(jax.random.PRNGKey(0), z, train=False)
  x = g.apply(gv, z, train=False)
  dv = d.init(jax.random.PRNGKey(1), x, train=False)
  return g, d, gv, dv, z, x


@pytest.mark.parametrize("upsample", ["transposed", "nearest", "bilinear"])
@pytest.mark.parametrize("size", [32, 64])
def test_upsampling_variants_shapes_counts_and_fast_equals_reference(upsample, size):
  channels = 3 if size == 64 else 1
  g, d, gv, dv, z, x = init(dcgan_cfg(upsample), channels, size, 16)
  assert x.shape == (3, size, size, channels)
  assert (count(gv["params"]), count(dv["params"])) == counts(16, 8, channels, size, upsample)
  out = d.apply(dv, x, train=False).logits
  assert out.shape == (3,)
  # the same parameters through the reference formulation give the same outputs
  gr, dr, *_ = init(dcgan_cfg(upsample, impl="reference"), channels, size, 16)
  np.testing.assert_allclose(gr.apply(gv, z, train=False), x, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(dr.apply(dv, x, train=False).logits, out, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("upsample", ["transposed", "nearest", "bilinear"])
def test_the_discriminator_down_samples_as_told_whatever_the_generator_does(upsample):
  """The CelebA study's G-only comparison: every G against one strided-conv D, whose
  parameters and outputs are the same whatever G up-samples with."""
  c = dcgan_cfg(upsample)
  c.dcgan.d_downsample = "strided"
  g, d, gv, dv, z, x = init(c, 3, 64, 16)
  assert (count(gv["params"]), count(dv["params"])) == counts(16, 8, 3, 64, upsample, "strided")
  _, d_ref, _, dv_ref, _, _ = init(dcgan_cfg("transposed"), 3, 64, 16)
  assert jax.tree.map(jnp.shape, dv) == jax.tree.map(jnp.shape, dv_ref)
  np.testing.assert_allclose(d.apply(dv_ref, x, train=False).logits,
                             d_ref.apply(dv_ref, x, train=False).logits, rtol=1e-5)
  c.dcgan.d_downsample = "bilinear"
  _, _, _, dv_bil, _, _ = init(c, 3, 64, 16)
  assert count(dv_bil["params"]) == counts(16, 8, 3, 64, "bilinear")[1]


def test_resize_variants_are_resize_then_convolution():
  from gan_jax.models.dcgan import downsample2x, upsample2x
  x = jnp.arange(16.0).reshape(1, 4, 4, 1)
  up = upsample2x(x, "nearest")
  np.testing.assert_array_equal(up[0, :2, :2, 0], [[0, 0], [0, 0]])
  np.testing.assert_array_equal(up[0, 6:, 6:, 0], [[15, 15], [15, 15]])
  # bilinear with half-pixel centres: output pixel 1 sits at input 0.25 -> 0.75 x[0] + 0.25 x[1]
  row = upsample2x(jnp.asarray([0.0, 4.0, 8.0, 12.0]).reshape(1, 1, 4, 1)
                   .repeat(2, axis=1), "bilinear")[0, 0, :, 0]
  np.testing.assert_allclose(row[1:7], [1, 3, 5, 7, 9, 11], rtol=1e-6)
  np.testing.assert_allclose(downsample2x(x, "nearest")[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
  # the adjoint relation: <up(a), b> = 4 <a, down(b)> for nearest
  a, b = jnp.arange(4.0).reshape(1, 2, 2, 1), jnp.arange(16.0).reshape(1, 4, 4, 1) ** 0.5
  np.testing.assert_allclose(jnp.sum(upsample2x(a, "nearest") * b),
                             4 * jnp.sum(a * downsample2x(b, "nearest")), rtol=1e-6)


def test_unknown_upsampling_is_a_config_error_listing_the_choices():
  with pytest.raises(ConfigError, match="model.dcgan.upsample.*transposed"):
    models.build(dcgan_cfg("pixelshuffle"), channels=1, image_size=32, condition=Condition())


def test_layer_norm_discriminator_treats_each_example_alone():
  c = dcgan_cfg("transposed")
  c.dcgan.d_norm = "layer"
  _, d, _, dv, _, x = init(c, 1, 32, 16)
  assert "batch_stats" not in dv
  full = d.apply(dv, x, train=True).logits
  single = d.apply(dv, x[:1], train=True).logits
  np.testing.assert_allclose(full[:1], single, rtol=1e-5, atol=1e-6)


def test_spectral_norm_divides_each_kernel_by_its_largest_singular_value():
  c = dcgan_cfg("transposed")
  c.dcgan.d_spectral_norm, c.dcgan.d_norm = True, "none"
  _, d, _, dv, _, x = init(c, 1, 32, 16)
  stats = dv["batch_stats"]
  for _ in range(30):  # power iterations, as training runs them
    _, new = d.apply({"params": dv["params"], "batch_stats": stats}, x, train=True,
                     mutable=["batch_stats"])
    stats = new["batch_stats"]
  for name, layer in dv["params"].items():
    kernel = np.asarray(layer["kernel"])
    sigma_true = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
    sn = stats[[k for k in stats if k.endswith(name.split("_")[-1]) and "SpectralNorm" in k][0]]
    sigma = float(np.asarray(list(v for k, v in sn.items() if k.endswith("sigma"))[0]))
    np.testing.assert_allclose(sigma, sigma_true, rtol=2e-2, err_msg=name)


@pytest.mark.parametrize("size,stages", [(32, 3), (64, 4)])
def test_began_networks_follow_the_paper(size, stages):
  """Decoder: Dense(8*8*n), then per stage two 3x3 convolutions (+bias), one more 3x3 to C;
  encoder: a 3x3 conv, per stage i two 3x3 convolutions of n*i channels and a stride-2 one to
  n*(i+1), a linear code; the reconstruction has the image's shape."""
  c = default.get_config().model
  c.name, c.latent_dim = "began", 6
  c.began.filters, c.began.code_dim = 4, 5
  g, d = models.build(c, channels=3, image_size=size, condition=Condition())
  z = jnp.ones((2, 6))
  gv = g.init(jax.random.PRNGKey(0), z)
  x = g.apply(gv, z)
  assert x.shape == (2, size, size, 3)
  dv = d.init(jax.random.PRNGKey(1), x)
  out = d.apply(dv, x)
  assert out.reconstruction.shape == x.shape and out.logits.shape == (2,)
  np.testing.assert_allclose(-out.logits, jnp.mean(jnp.abs(out.reconstruction - x), (1, 2, 3)),
                             rtol=1e-5)
  n, conv = 4, lambda a, b: 9 * a * b + b  # noqa: E731

  def decoder(h):
    return h * 64 * n + 64 * n + stages * 2 * conv(n, n) + conv(n, 3)

  enc = conv(3, n)
  prev = n
  for i in range(1, stages + 1):
    enc += conv(prev, n * i) + conv(n * i, n * i)
    prev = n * i
    if i < stages:
      enc += conv(n * i, n * (i + 1))
      prev = n * (i + 1)
  enc += 8 * 8 * prev * 5 + 5
  assert count(gv["params"]) == decoder(6)
  assert count(dv["params"]) == enc + decoder(5)
  assert "batch_stats" not in gv and "batch_stats" not in dv  # no batch norm


def test_began_with_lucic_et_al_networks():
  """generator='dcgan': the DCGAN G (batch norm, tanh) of g_hidden; discriminator='strided':
  Conv(h, k4 s2), Conv(2h, k4 s2), Dense(code), Dense(2h S/4 S/4), ConvT(h), ConvT(C), with
  biases, LReLU, tanh, no batch norm; its code is the bottleneck before the activation."""
  c = default.get_config().model
  c.name, c.latent_dim, c.g_hidden, c.d_hidden = "began", 6, 4, 3
  c.began.generator, c.began.discriminator, c.began.code_dim = "dcgan", "strided", 5
  g, d = models.build(c, channels=1, image_size=32, condition=Condition())
  z = jnp.ones((2, 6))
  gv = g.init(jax.random.PRNGKey(0), z)
  dc = default.get_config().model
  dc.latent_dim, dc.g_hidden = 6, 4
  ref_g, _ = models.build(dc, channels=1, image_size=32, condition=Condition())
  assert jax.tree.map(jnp.shape, gv) == jax.tree.map(jnp.shape, ref_g.init(
      jax.random.PRNGKey(0), z))  # the dcgan model's G, batch norm included
  x, _ = g.apply(gv, z, mutable=["batch_stats"])
  assert x.shape == (2, 32, 32, 1) and float(jnp.max(jnp.abs(x))) <= 1.0
  dv = d.init(jax.random.PRNGKey(1), x)
  out = d.apply(dv, x)
  assert out.reconstruction.shape == x.shape and out.code.shape == (2, 5)
  assert float(jnp.max(jnp.abs(out.reconstruction))) <= 1.0
  np.testing.assert_allclose(-out.logits, jnp.mean(jnp.abs(out.reconstruction - x), (1, 2, 3)),
                             rtol=1e-5)
  h, conv = 3, lambda a, b: 16 * a * b + b  # noqa: E731
  flat = 2 * h * 8 * 8
  assert count(dv["params"]) == (conv(1, h) + conv(h, 2 * h) + flat * 5 + 5 + 5 * flat + flat
                                 + conv(2 * h, h) + conv(h, 1))
  assert "batch_stats" not in dv
  c.began.discriminator = "convolutional"
  with pytest.raises(ConfigError, match="model.began.discriminator"):
    models.build(c, channels=1, image_size=32, condition=Condition())


def test_began_generator_is_linear_in_training_and_clipped_for_samples():
  c = default.get_config().model
  c.name, c.latent_dim = "began", 6
  c.began.filters, c.began.code_dim = 4, 5
  g, _ = models.build(c, channels=1, image_size=16, condition=Condition())
  z = jnp.ones((2, 6))
  gv = g.init(jax.random.PRNGKey(0), z)
  gv = jax.tree.map(lambda p: 30.0 * p, gv)  # outputs far outside the pixel range
  raw = g.apply(gv, z, train=True)
  assert float(jnp.max(jnp.abs(raw))) > 1.0
  np.testing.assert_array_equal(g.apply(gv, z, train=False), jnp.clip(raw, -1.0, 1.0))


def test_began_refuses_what_it_cannot_build():
  c = default.get_config().model
  c.name = "began"
  with pytest.raises(ConfigError, match="no auxiliary classifier"):
    models.build(c, channels=1, image_size=32, condition=Condition("class", 10), aux_classes=10)
  c.g_label_dim = 0
  with pytest.raises(ConfigError, match="g_label_dim >= 1"):
    models.build(c, channels=1, image_size=32, condition=Condition("class", 10))
  with pytest.raises(ConfigError, match="8 \\* 2\\*\\*n"):
    models.build(c, channels=1, image_size=28, condition=Condition())


def test_diff_augment_policies():
  x = jnp.broadcast_to(jnp.arange(64.0).reshape(1, 8, 8, 1), (16, 8, 8, 3)) / 64.0
  key = jax.random.PRNGKey(0)
  # translation: each example is its image shifted by at most 1 pixel (1/8 of 8), zero fill
  t = np.asarray(augment.diff_augment(x, key, ("translation",)))
  for b in range(16):
    found = False
    for dy in (-1, 0, 1):
      for dx in (-1, 0, 1):
        want = np.zeros((8, 8))
        src = np.asarray(x[0, :, :, 0])
        want[max(dy, 0):8 + min(dy, 0), max(dx, 0):8 + min(dx, 0)] = \
            src[max(-dy, 0):8 + min(-dy, 0), max(-dx, 0):8 + min(-dx, 0)]
        found |= np.allclose(t[b, :, :, 0], want)
    assert found, b
  assert len({t[b].tobytes() for b in range(16)}) > 1  # per-example shifts
  # cutout: a 4x4 square (possibly clipped at the border) zeroed, the rest untouched
  c = np.asarray(augment.diff_augment(x + 1.0, key, ("cutout",)))
  zeros = (c[..., 0] == 0).sum(axis=(1, 2))
  assert zeros.max() == 16 and zeros.min() >= 4
  np.testing.assert_array_equal(c[c != 0], np.asarray(x + 1.0)[c != 0])
  # colour: differentiable, deterministic for a key, different for another
  policy = augment.parse("color, translation ,cutout")
  a1 = augment.diff_augment(x, key, policy)
  np.testing.assert_array_equal(a1, augment.diff_augment(x, key, policy))
  assert not np.allclose(a1, augment.diff_augment(x, jax.random.PRNGKey(1), policy))
  g = jax.grad(lambda v: jnp.sum(augment.diff_augment(v, key, policy) ** 2))(x)
  assert float(jnp.abs(g).sum()) > 0
  with pytest.raises(ConfigError, match="diff_augment.*color"):
    augment.parse("colour")
