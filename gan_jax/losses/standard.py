"""The original GAN objectives, non-saturating (the default) and minimax, with binary
cross-entropy on the discriminator's logits; and the hinge and least-squares objectives."""

import jax
import jax.numpy as jnp

from gan_jax.losses.objective import OBJECTIVES, Objective
from gan_jax.utils.errors import ConfigError


def bce_d_loss(real_label: float = 1.0):
  """-log D(x) - log(1 - D(G(z))), summed over the real and the fake batch (as the DCGAN-vs-MLP
  MNIST study); ``real_label`` < 1 is one-sided label smoothing (Salimans et al. 2016)."""
  if not 0.5 < real_label <= 1.0:
    raise ConfigError(f"loss.real_label must be in (0.5, 1], got {real_label}.")

  def d_loss(real_out, fake_out, inputs, state):
    del inputs, state
    r, f = real_out.logits, fake_out.logits
    if real_label == 1.0:
      loss_real = jnp.mean(jax.nn.softplus(-r))
    else:
      loss_real = jnp.mean(real_label * jax.nn.softplus(-r) + (1 - real_label) * jax.nn.softplus(r))
    loss_fake = jnp.mean(jax.nn.softplus(f))
    return loss_real + loss_fake, {
        "d_loss_real": loss_real, "d_loss_fake": loss_fake,
        "D_x": jnp.mean(jax.nn.sigmoid(r)), "D_G_z1": jnp.mean(jax.nn.sigmoid(f))}
  return d_loss


def _ns_g_loss(fake_out, inputs, state):
  """Non-saturating generator loss: -log D(G(z))."""
  del inputs, state
  f = fake_out.logits
  return jnp.mean(jax.nn.softplus(-f)), {"D_G_z2": jnp.mean(jax.nn.sigmoid(f))}


def _minimax_g_loss(fake_out, inputs, state):
  """The original minimax generator loss: log(1 - D(G(z)))."""
  del inputs, state
  f = fake_out.logits
  return -jnp.mean(jax.nn.softplus(f)), {"D_G_z2": jnp.mean(jax.nn.sigmoid(f))}


def _bce_example_loss(out, images):
  """-log D(x) per real image."""
  del images
  return jax.nn.softplus(-out.logits)


@OBJECTIVES.register("non_saturating")
def non_saturating(real_label: float = 1.0) -> Objective:
  """Goodfellow et al. 2014's non-saturating loss: BCE for D, -log D(G(z)) for G."""
  return Objective(d_loss=bce_d_loss(real_label), g_loss=_ns_g_loss,
                   example_loss=_bce_example_loss)


@OBJECTIVES.register("minimax")
def minimax(real_label: float = 1.0) -> Objective:
  """Goodfellow et al. 2014's minimax loss: BCE for D, log(1 - D(G(z))) for G."""
  return Objective(d_loss=bce_d_loss(real_label), g_loss=_minimax_g_loss,
                   example_loss=_bce_example_loss)


@OBJECTIVES.register("hinge")
def hinge() -> Objective:
  """Hinge loss (Lim & Ye 2017; SAGAN, BigGAN): D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))];
  G: -E[D(G(z))]. Metrics are raw discriminator means."""

  def d_loss(real_out, fake_out, inputs, state):
    del inputs, state
    r, f = real_out.logits, fake_out.logits
    loss_real, loss_fake = jnp.mean(jax.nn.relu(1 - r)), jnp.mean(jax.nn.relu(1 + f))
    return loss_real + loss_fake, {"d_loss_real": loss_real, "d_loss_fake": loss_fake,
                                   "D_x": jnp.mean(r), "D_G_z1": jnp.mean(f)}

  def g_loss(fake_out, inputs, state):
    del inputs, state
    f = jnp.mean(fake_out.logits)
    return -f, {"D_G_z2": f}

  return Objective(d_loss=d_loss, g_loss=g_loss)


@OBJECTIVES.register("least_squares")
def least_squares() -> Objective:
  """Least-squares GAN (Mao et al. 2017), targets a=0, b=c=1: D: 1/2 E[(D(x) - 1)^2] +
  1/2 E[D(G(z))^2]; G: 1/2 E[(D(G(z)) - 1)^2]. Metrics are raw discriminator means."""

  def d_loss(real_out, fake_out, inputs, state):
    del inputs, state
    r, f = real_out.logits, fake_out.logits
    loss_real, loss_fake = 0.5 * jnp.mean((r - 1) ** 2), 0.5 * jnp.mean(f ** 2)
    return loss_real + loss_fake, {"d_loss_real": loss_real, "d_loss_fake": loss_fake,
                                   "D_x": jnp.mean(r), "D_G_z1": jnp.mean(f)}

  def g_loss(fake_out, inputs, state):
    del inputs, state
    f = fake_out.logits
    return 0.5 * jnp.mean((f - 1) ** 2), {"D_G_z2": jnp.mean(f)}

  return Objective(d_loss=d_loss, g_loss=g_loss)
