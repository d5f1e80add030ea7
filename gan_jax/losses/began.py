"""BEGAN (Berthelot et al. 2017), as the conditional-BEGAN report trains it.

The discriminator is an autoencoder (``DOutput.reconstruction``); L(v) = mean |v - D(v)|.
  L_D = L(x) - k_t L(G(z)),   L_G = L(G(z)),
  k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1),
k_t starting at 0 and kept in ``loss_state`` (so it is checkpointed and restored exactly).
The generator's update runs on the same z as the step's last discriminator update, through
the updated discriminator; k is updated with L(x) of the discriminator update and L(G(z))
of the generator update (the paper's z_G).

Metrics: ``L_real`` = L(x), ``L_fake`` = L(G(z)) (both before the D update), ``k`` (k_t
used in this step), ``M`` = L(x) + |gamma L(x) - L(G(z))|, the convergence measure from the
discriminator's one forward pass (as carpedm20/BEGAN-tensorflow computes it; lower is
better), and ``L_fake_g`` (L(G(z)) in the generator update). ``lr_plateau.metric = 'M'``
halves the learning rates when M stops improving.
"""

import jax.numpy as jnp

from gan_jax.errors import ConfigError
from gan_jax.losses.base import OBJECTIVES, Objective


def reconstruction_loss(images, out):
  if out.reconstruction is None:
    raise ConfigError("loss.name='began' needs an autoencoder discriminator "
                      "(model.name='began').")
  return jnp.mean(jnp.abs(images - out.reconstruction))


@OBJECTIVES.register("began")
def began(gamma: float = 0.5, lambda_k: float = 0.001, k_init: float = 0.0) -> Objective:
  if not 0 < gamma <= 1:
    raise ConfigError(f"loss.began.gamma must be in (0, 1], got {gamma}.")
  if not lambda_k > 0:
    raise ConfigError(f"loss.began.lambda_k must be > 0, got {lambda_k}.")
  if not 0 <= k_init <= 1:
    raise ConfigError(f"loss.began.k_init must be in [0, 1], got {k_init}.")

  def d_loss(real_out, fake_out, inputs, state):
    l_real = reconstruction_loss(inputs.real, real_out)
    l_fake = reconstruction_loss(inputs.fake, fake_out)
    k = state["k"]
    m = l_real + jnp.abs(gamma * l_real - l_fake)
    return l_real - k * l_fake, {"L_real": l_real, "L_fake": l_fake, "k": k, "M": m}

  def g_loss(fake_out, inputs, state):
    del state
    l_fake = reconstruction_loss(inputs.fake, fake_out)
    return l_fake, {"L_fake_g": l_fake}

  def init_state():
    return {"k": jnp.asarray(k_init, jnp.float32)}

  def update_state(state, metrics):
    k = state["k"] + lambda_k * (gamma * metrics["L_real"] - metrics["L_fake_g"])
    return {"k": jnp.clip(k, 0.0, 1.0)}

  def example_loss(out, images):
    """Each real image's reconstruction error."""
    err = jnp.abs(images - out.reconstruction)
    return jnp.mean(err.reshape(err.shape[0], -1), axis=-1)

  return Objective(d_loss=d_loss, g_loss=g_loss, init_state=init_state,
                   update_state=update_state, example_loss=example_loss)
