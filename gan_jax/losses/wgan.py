"""WGAN with weight clipping (Arjovsky et al. 2017), as the CelebA upsampling/WGAN study and
the i-CLEVR report used it: a critic without sigmoid or log, every critic parameter clipped
to [-clip, clip] after each critic update, RMSProp (configs: lr 5e-5, PyTorch semantics) and
``loss.d_steps`` (n_critic, 5) critic updates per generator update.

Metrics: ``wasserstein`` = E[D(x)] - E[D(G(z))], the critic's estimate of the distance (the
study's plotted curve), ``D_x`` / ``D_G_z1`` / ``D_G_z2`` as raw critic means.
"""

import jax
import jax.numpy as jnp

from gan_jax.losses import penalties
from gan_jax.losses.objective import OBJECTIVES, Objective
from gan_jax.utils.errors import ConfigError


@OBJECTIVES.register("wgan")
def wgan(clip: float = 0.01) -> Objective:
  """WGAN (Arjovsky et al. 2017): the critic's difference of means, weights clipped to
  [-clip, clip] after each critic update."""
  if not clip > 0:
    raise ConfigError(f"loss.wgan.clip must be > 0, got {clip}.")

  def d_loss(real_out, fake_out, inputs, state):
    del inputs, state
    real, fake = jnp.mean(real_out.logits), jnp.mean(fake_out.logits)
    return fake - real, {"wasserstein": real - fake, "D_x": real, "D_G_z1": fake}

  def g_loss(fake_out, inputs, state):
    del inputs, state
    fake = jnp.mean(fake_out.logits)
    return -fake, {"D_G_z2": fake}

  def clip_params(params):
    return jax.tree.map(lambda w: jnp.clip(w, -clip, clip), params)

  return Objective(d_loss=d_loss, g_loss=g_loss, constrain_d_params=clip_params)


@OBJECTIVES.register("wgan_gp")
def wgan_gp(weight: float = 10.0) -> Objective:
  """WGAN-GP (Gulrajani et al. 2017): the WGAN critic loss without clipping, plus ``weight``
  times the gradient penalty at random interpolates (gan_jax/losses/penalties.py); the paper
  uses Adam(1e-4, 0.0, 0.9), 5 critic updates and a critic without batch norm.

  Conditional: the interpolate of real image i and generated image i is judged under one
  condition, so the step draws the critic's generated batch under the real batch's labels
  (``paired_labels``); with independent labels the penalty would hold the critic to slope 1
  only between images of different conditions, and leave it free near the generated images
  under their own labels."""
  if not weight > 0:
    raise ConfigError(f"loss.wgan_gp.weight must be > 0, got {weight}.")
  base = wgan(clip=1.0)

  def d_loss(real_out, fake_out, inputs, state):
    value, metrics = base.d_loss(real_out, fake_out, inputs, state)
    gp = penalties.gradient_penalty(inputs.critic, inputs.real, inputs.fake, inputs.real_labels,
                                    inputs.key)
    return value + weight * gp, dict(metrics, gradient_penalty=gp)

  return Objective(d_loss=d_loss, g_loss=base.g_loss, paired_labels=True)
