"""The fast convolution formulations compute exactly the textbook operators."""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.models import layers


def naive_conv_transpose(x, w, s, p):
  """Scatter definition of torch.nn.ConvTranspose2d: y[s*i - p + k] += x[i] w[k]."""
  b, h, wd, _ = x.shape
  k, o = w.shape[0], w.shape[-1]
  ho, wo = (h - 1) * s - 2 * p + k, (wd - 1) * s - 2 * p + k
  y = np.zeros((b, ho + 2 * p + k, wo + 2 * p + k, o))
  for i in range(h):
    for j in range(wd):
      for a in range(k):
        for c in range(k):
          y[:, s * i + a, s * j + c] += x[:, i, j] @ w[a, c]
  return y[:, p:p + ho, p:p + wo]


def naive_conv(x, w, s, p):
  """Gather definition of torch.nn.Conv2d (cross-correlation)."""
  x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
  k = w.shape[0]
  ho, wo = (x.shape[1] - k) // s + 1, (x.shape[2] - k) // s + 1
  y = np.zeros((x.shape[0], ho, wo, w.shape[-1]))
  for i in range(ho):
    for j in range(wo):
      patch = x[:, s * i:s * i + k, s * j:s * j + k]
      y[:, i, j] = np.einsum("bhwc,hwco->bo", patch, w)
  return y


@pytest.mark.parametrize("shape", [(2, 4, 4, 3), (3, 5, 7, 2), (1, 8, 8, 6)])
def test_conv_transpose_matches_scatter_definition(shape):
  rng = np.random.default_rng(0)
  x = rng.normal(size=shape).astype(np.float32)
  w = rng.normal(size=(4, 4, shape[-1], 5)).astype(np.float32)
  want = naive_conv_transpose(x, w, 2, 1)
  np.testing.assert_allclose(layers.conv_transpose_reference(x, w, 2, 1), want, atol=1e-4)
  np.testing.assert_allclose(layers.conv_transpose_k4s2p1_fast(x, w), want, atol=1e-4)


@pytest.mark.parametrize("shape", [(2, 4, 4, 3), (3, 8, 6, 2), (1, 16, 16, 1)])
def test_conv_matches_gather_definition(shape):
  rng = np.random.default_rng(1)
  x = rng.normal(size=shape).astype(np.float32)
  w = rng.normal(size=(4, 4, shape[-1], 5)).astype(np.float32)
  want = naive_conv(x, w, 2, 1)
  np.testing.assert_allclose(layers.conv_reference(x, w, 2, 1), want, atol=1e-4)


@pytest.mark.parametrize("h,w", [(4, 4), (8, 8), (16, 16), (4, 8), (3, 5)])
def test_fast_transposed_conv_gradients_equal_the_reference(h, w):
  """The hand-written kernel gradient (a stride-1 convolution over the folded output
  gradient) and the input gradient equal autodiff of the direct formulation."""
  rng = np.random.default_rng(2)
  x = jnp.asarray(rng.normal(size=(3, h, w, 6)), jnp.float32)
  wt = jnp.asarray(rng.normal(size=(4, 4, 6, 4)), jnp.float32)
  g = jnp.asarray(rng.normal(size=(3, 2 * h, 2 * w, 4)), jnp.float32)
  ref = lambda x, w: layers.conv_transpose_reference(x, w, 2, 1)  # noqa: E731
  gf = jax.grad(lambda x, w: jnp.sum(layers.conv_transpose_k4s2p1_fast(x, w) * g),
                argnums=(0, 1))(x, wt)
  gr = jax.grad(lambda x, w: jnp.sum(ref(x, w) * g), argnums=(0, 1))(x, wt)
  for a, b in zip(gf, gr):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)


def test_1x1_projection_and_full_window_paths_equal_the_reference():
  rng = np.random.default_rng(3)
  z = jnp.asarray(rng.normal(size=(2, 1, 1, 7)), jnp.float32)
  for impl in layers.IMPLS:
    m = layers.ConvTranspose(5, 4, 1, 0, impl=impl)
    v = m.init(jax.random.PRNGKey(0), z)
    np.testing.assert_allclose(m.apply(v, z), naive_conv_transpose(
        np.asarray(z), np.asarray(v["params"]["kernel"]), 1, 0), atol=1e-5)
  x = jnp.asarray(rng.normal(size=(2, 4, 4, 7)), jnp.float32)
  for impl in layers.IMPLS:
    m = layers.Conv(1, 4, 1, 0, impl=impl)
    v = m.init(jax.random.PRNGKey(0), x)
    np.testing.assert_allclose(m.apply(v, x), naive_conv(
        np.asarray(x), np.asarray(v["params"]["kernel"]), 1, 0), atol=1e-5)


def _xla_flags_after_import(xla_flags):
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  if xla_flags is not None:
    env["XLA_FLAGS"] = xla_flags
  code = "import os, gan_jax; print(os.environ['XLA_FLAGS'])"
  out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       check=True)
  return out.stdout.strip()


def test_importing_gan_jax_selects_eigen_convolutions_unless_the_user_chose():
  flag = "--xla_cpu_experimental_ynn_fusion_type=-individual_convolution"
  assert _xla_flags_after_import(None) == flag
  assert _xla_flags_after_import("--xla_force_host_platform_device_count=2").split() == [
      "--xla_force_host_platform_device_count=2", flag]
  own = "--xla_cpu_experimental_ynn_fusion_type=+individual_convolution"
  assert _xla_flags_after_import(own) == own


def test_convolutions_compile_without_ynnpack_after_the_import():
  """The flag reaches XLA: a large convolution compiles to no YNNPACK fusion."""
  code = ("import gan_jax, jax, jax.numpy as jnp\n"
          "x = jnp.ones((8, 16, 16, 64)); k = jnp.ones((3, 3, 64, 64))\n"
          "f = lambda x, k: jax.lax.conv_general_dilated(x, k, (1, 1), 'SAME', "
          "dimension_numbers=('NHWC', 'HWIO', 'NHWC'))\n"
          "print('ynn_fusion' in jax.jit(f).lower(x, k).compile().as_text())\n")
  env = dict(os.environ, JAX_PLATFORMS="cpu")
  for xla_flags, want in (("", "False"),
                          ("--xla_cpu_experimental_ynn_fusion_type=+individual_convolution", "True")):
    env["XLA_FLAGS"] = xla_flags
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == want
