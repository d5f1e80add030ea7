"""Penalties on the discriminator's input gradients and on the generator's outputs.

* ``gradient_penalty`` (WGAN-GP, Gulrajani et al. 2017): E[(||grad_x D(x_hat)||_2 - 1)^2] at
  x_hat = e x + (1 - e) G(z), e ~ U(0, 1) per example.
* ``r1_penalty`` (Mescheder et al. 2018): E[||grad_x D(x)||_2^2] on real images (weighted by
  gamma / 2 by the caller).
* ``out_of_bound_penalty`` (the conditional-BEGAN report): E[relu(|G(z)| - 1)^2], zero
  for outputs inside the pixel range [-1, 1].
* ``mode_seeking_ratio`` (Mao et al. 2019, MSGAN) and ``diversity_sensitive_ratio`` (Yang et
  al. 2019, DSGAN): how far G's outputs move per unit of latent distance, between the two
  halves of a batch whose example i and i + B/2 share a condition (``Objective.twin_conditions``).

Per-example gradient norms assume a discriminator whose output for one example does not
depend on the others: use ``model.dcgan.d_norm = 'layer'`` or ``'none'`` with these (the
WGAN-GP paper's advice); with batch norm the norms mix the batch.
"""

import jax
import jax.numpy as jnp


def _input_grad_norms(critic, x, y):
  def total(x_):
    return jnp.sum(critic(x_, y).logits)
  g = jax.grad(total)(x)
  return jnp.sqrt(jnp.sum(g.reshape(g.shape[0], -1) ** 2, axis=-1) + 1e-12)


def gradient_penalty(critic, real, fake, labels, key):
  """WGAN-GP's two-sided penalty at random interpolates of real and generated images, under
  ``labels``: the labels of both (a conditional step draws its generated images under the
  real images' labels, see ``Objective.paired_labels``)."""
  eps = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1), real.dtype)
  x_hat = eps * real + (1.0 - eps) * fake
  norms = _input_grad_norms(critic, x_hat, labels)
  return jnp.mean((norms - 1.0) ** 2)


def r1_penalty(critic, real, labels):
  norms = _input_grad_norms(critic, real, labels)
  return jnp.mean(norms ** 2)


def out_of_bound_penalty(images, low: float = -1.0, high: float = 1.0):
  over = jax.nn.relu(images - high) + jax.nn.relu(low - images)
  return jnp.mean(jnp.sum(over.reshape(over.shape[0], -1) ** 2, axis=-1))


def _halves(x):
  """Example i and i + h of a batch of at least 2, h = B // 2 (an odd last one is left out),
  flattened per example."""
  h = x.shape[0] // 2
  if h == 0:
    raise ValueError("a diversity term needs a batch of at least 2")
  return x[:h].reshape(h, -1), x[h:2 * h].reshape(h, -1)


def mode_seeking_ratio(images, z):
  """MSGAN's ratio as its public code computes it: mean |G(z1, c) - G(z2, c)| over the pairs'
  pixels divided by mean |z1 - z2| over their latents (batch means, not a mean of per-pair
  ratios). G maximises it: its term is ``1 / (ratio + eps)``."""
  a, b = _halves(images)
  za, zb = _halves(z)
  return jnp.mean(jnp.abs(a - b)) / jnp.mean(jnp.abs(za - zb))


def diversity_sensitive_ratio(images, z, tau):
  """DSGAN's term, per pair as in its paper: min(mean |G(z1, c) - G(z2, c)| / mean |z1 - z2|,
  tau), averaged over the pairs (L1 distances as means over elements, so the ratio does not
  grow with the image or latent size). G maximises it."""
  a, b = _halves(images)
  za, zb = _halves(z)
  ratios = jnp.mean(jnp.abs(a - b), axis=-1) / (jnp.mean(jnp.abs(za - zb), axis=-1) + 1e-12)
  return jnp.mean(jnp.minimum(ratios, tau))
