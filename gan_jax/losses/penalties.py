"""Penalties on the discriminator's input gradients and on the generator's outputs.

* ``gradient_penalty`` (WGAN-GP, Gulrajani et al. 2017): E[(||grad_x D(x_hat)||_2 - 1)^2] at
  x_hat = e x + (1 - e) G(z), e ~ U(0, 1) per example.
* ``r1_penalty`` (Mescheder et al. 2018): E[||grad_x D(x)||_2^2] on real images (weighted by
  gamma / 2 by the caller).
* ``out_of_bound_penalty`` (the conditional-BEGAN report): E[relu(|G(z)| - 1)^2], zero
  for outputs inside the pixel range [-1, 1].

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
