"""DiffAugment (Zhao et al. 2020): differentiable augmentations applied to every image the
discriminator sees, real and generated, in both updates, so that D cannot memorise a small
dataset while G still gets gradients through the augmentation.

Policies as the paper's reference code (``DiffAugment_pytorch.py``), on images in [-1, 1]:
``color`` (brightness +U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5)),
``translation`` (integer shifts up to 1/8 of the size, zero fill), ``cutout`` (a zeroed
square of half the size at a random place). Each example draws its own parameters.
Written here because no JAX library ships them; 20 lines of array code.
"""

import jax
import jax.numpy as jnp

from gan_jax.utils.registry import check_choice

POLICIES = ("color", "translation", "cutout")


def parse(policy: str) -> tuple[str, ...]:
  names = tuple(p.strip() for p in policy.split(",") if p.strip())
  for name in names:
    check_choice("diff_augment", name, POLICIES)
  return names


def _color(x, key):
  b = x.shape[0]
  k1, k2, k3 = jax.random.split(key, 3)
  x = x + (jax.random.uniform(k1, (b, 1, 1, 1)) - 0.5)
  mean = jnp.mean(x, axis=-1, keepdims=True)
  x = (x - mean) * (jax.random.uniform(k2, (b, 1, 1, 1)) * 2) + mean
  mean = jnp.mean(x, axis=(1, 2, 3), keepdims=True)
  return (x - mean) * (jax.random.uniform(k3, (b, 1, 1, 1)) + 0.5) + mean


def _shifted(x, dy, dx):
  """x[b, i - dy[b], j - dx[b]], zero outside the image."""
  _, h, w, _ = x.shape
  rows = jnp.arange(h)[None, :] - dy[:, None]  # (B, H)
  cols = jnp.arange(w)[None, :] - dx[:, None]
  valid = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
  gathered = jax.vmap(lambda im, r, c: im[jnp.clip(r, 0, h - 1)][:, jnp.clip(c, 0, w - 1)])(
      x, rows, cols)
  return gathered * valid[..., None].astype(x.dtype)


def _translation(x, key, ratio=0.125):
  b, h, w, _ = x.shape
  sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
  ky, kx = jax.random.split(key)
  dy = jax.random.randint(ky, (b,), -sy, sy + 1)
  dx = jax.random.randint(kx, (b,), -sx, sx + 1)
  return _shifted(x, dy, dx)


def _cutout(x, key, ratio=0.5):
  b, h, w, _ = x.shape
  ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
  ky, kx = jax.random.split(key)
  # the square's centre, as the reference code: in [0, size + (1 - size % 2) - ... ]
  cy = jax.random.randint(ky, (b, 1, 1), 0, h + (1 - ch % 2))
  cx = jax.random.randint(kx, (b, 1, 1), 0, w + (1 - cw % 2))
  rows = jnp.arange(h)[None, :, None]
  cols = jnp.arange(w)[None, None, :]
  inside = ((rows >= cy - ch // 2) & (rows < cy - ch // 2 + ch)
            & (cols >= cx - cw // 2) & (cols < cx - cw // 2 + cw))
  return x * (~inside)[..., None].astype(x.dtype)


_FUNCS = {"color": _color, "translation": _translation, "cutout": _cutout}


def diff_augment(x, key, policy: tuple[str, ...]):
  for i, name in enumerate(policy):
    x = _FUNCS[name](x, jax.random.fold_in(key, i))
  return x
