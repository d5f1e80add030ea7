"""BEGAN (Berthelot et al. 2017), as the conditional-BEGAN report trains it.

The discriminator is an autoencoder (``DOutput.reconstruction``); L(v) = mean |v - D(v)|.
  L_D = L(x) - k_t L(G(z)),   L_G = L(G(z)),
  k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1),
k_t starting at 0 and kept in ``loss_state`` (so it is checkpointed and restored exactly).

One pass drives the balance: k_{t+1} and the convergence measure
M = L(x) + |gamma L(x) - L(G(z))| both take L(x) and L(G(z)) from the discriminator's
forward pass of its update (the step's last one), before that update, on the same G(z):
the paper's equations evaluate both losses at theta_D of step t, and its reference code
(carpedm20/BEGAN-tensorflow) computes L_D, L_G, the balance and M in one graph run before
any weight changes. The generator's update runs on the same z through the updated
discriminator; its L(G(z)) (``L_fake_g``) is logged but drives nothing.

L(v) compares D's reconstruction with what D was given (``DOutput.target``): with DiffAugment
on, the augmented image, so D is an autoencoder of the images it sees and the balance
compares like with like.

Metrics: ``L_real`` = L(x), ``L_fake`` = L(G(z)) (both before the D update), ``k`` (k_t
used in this step), ``M`` (lower is better), and ``L_fake_g``. ``lr_plateau.metric = 'M'``
halves the learning rates when M stops improving.

Conditional BEGAN (the conditional-BEGAN report), ``mismatch_weight`` > 0: D is also shown
each real image under a wrong condition, the condition of the next image in the batch (the
batch rolled by one; pairs whose two conditions are equal are left out, and the term is 0
when every pair is), and rewarded for
reconstructing it badly, up to ``mismatch_cap`` x L(x) (the report: 1.5; beyond that D
would lose its autoencoding): with L_w the mean reconstruction error under wrong conditions,
  L_D += mismatch_weight * relu(mismatch_cap * sg(L(x)) - L_w),
sg = stop-gradient, so the cap never pays D for reconstructing real images worse. Logged:
``L_wrong`` = L_w.

BEGAN-CS (Chang et al. 2018, "Escaping from collapsing modes in a constrained space"),
``code_consistency`` = alpha > 0: D's encoder is also asked to recover the latent code of
each generated image,
  L_D += alpha * mean |Enc(G(z)) - z|,
(their public code: alpha 0.1, L1, on D's update only; G's loss is unchanged). A D whose code
must tell G's samples apart by their z cannot reconstruct a collapsed G's images equally well,
which is the pressure against collapse. D's code (``model.began.code_dim``) has z's width
(``model.latent_dim``). Logged: ``L_code`` = mean |Enc(G(z)) - z|.
"""

import jax
import jax.numpy as jnp

from gan_jax.losses.objective import OBJECTIVES, Objective
from gan_jax.utils.errors import ConfigError


def example_errors(out):
  """Each image's mean |target - D(target)|, the target being what D was given."""
  if out.reconstruction is None or out.target is None:
    raise ConfigError("loss.name='began' needs an autoencoder discriminator "
                      "(model.name='began').")
  err = jnp.abs(out.target - out.reconstruction)
  return jnp.mean(err.reshape(err.shape[0], -1), axis=-1)


def reconstruction_loss(out):
  return jnp.mean(example_errors(out))


def mismatch_loss(inputs):
  """``(L_w, pairs)``: the mean reconstruction error of the real images under the next image's
  condition, over the ``pairs`` whose conditions differ (0 when none does)."""
  y = inputs.real_labels
  if y is None:
    raise ConfigError("loss.began.mismatch_weight > 0 needs a conditional model: set "
                      "model.conditional=True.")
  wrong = jnp.roll(y, 1, axis=0)
  differs = (wrong != y) if y.ndim == 1 else jnp.any(wrong != y, axis=-1)
  err = example_errors(inputs.critic(inputs.real, wrong))
  w = differs.astype(err.dtype)
  return jnp.sum(w * err) / jnp.maximum(jnp.sum(w), 1.0), jnp.sum(w)


def code_loss(fake_out, z):
  """BEGAN-CS's mean |Enc(G(z)) - z| over the batch and the code's dimensions."""
  if fake_out.code is None:
    raise ConfigError("loss.began.code_consistency > 0 needs a discriminator with a code "
                      "(model.name='began').")
  if fake_out.code.shape != z.shape:
    raise ConfigError(f"loss.began.code_consistency > 0 compares D's code with z: set "
                      f"model.began.code_dim to model.latent_dim ({z.shape[-1]}), got "
                      f"{fake_out.code.shape[-1]}.")
  return jnp.mean(jnp.abs(fake_out.code - z))


@OBJECTIVES.register("began")
def began(gamma: float = 0.5, lambda_k: float = 0.001, k_init: float = 0.0,
          mismatch_weight: float = 0.0, mismatch_cap: float = 1.5,
          code_consistency: float = 0.0) -> Objective:
  """BEGAN's objective: reconstruction losses balanced by k_t (gamma, lambda_k), with M."""
  if not 0 < gamma <= 1:
    raise ConfigError(f"loss.began.gamma must be in (0, 1], got {gamma}.")
  if not lambda_k > 0:
    raise ConfigError(f"loss.began.lambda_k must be > 0, got {lambda_k}.")
  if not 0 <= k_init <= 1:
    raise ConfigError(f"loss.began.k_init must be in [0, 1], got {k_init}.")
  if mismatch_weight < 0 or not mismatch_cap > 0:
    raise ConfigError(f"loss.began.mismatch_weight must be >= 0 and mismatch_cap > 0, got "
                      f"{mismatch_weight} and {mismatch_cap}.")
  if code_consistency < 0:
    raise ConfigError(f"loss.began.code_consistency must be >= 0, got {code_consistency}.")

  def d_loss(real_out, fake_out, inputs, state):
    l_real = reconstruction_loss(real_out)
    l_fake = reconstruction_loss(fake_out)
    k = state["k"]
    m = l_real + jnp.abs(gamma * l_real - l_fake)
    value, metrics = l_real - k * l_fake, {"L_real": l_real, "L_fake": l_fake, "k": k, "M": m}
    if mismatch_weight > 0:
      l_wrong, pairs = mismatch_loss(inputs)
      metrics["L_wrong"] = l_wrong
      value = value + mismatch_weight * (pairs > 0) * jax.nn.relu(
          mismatch_cap * jax.lax.stop_gradient(l_real) - l_wrong)
    if code_consistency > 0:
      l_code = code_loss(fake_out, inputs.z)
      metrics["L_code"] = l_code
      value = value + code_consistency * l_code
    return value, metrics

  def g_loss(fake_out, inputs, state):
    del state
    l_fake = reconstruction_loss(fake_out)
    return l_fake, {"L_fake_g": l_fake}

  def init_state():
    return {"k": jnp.asarray(k_init, jnp.float32)}

  def update_state(state, metrics):
    # L(x) and L(G(z)) of one pass: the D update's, before it (module docstring)
    k = state["k"] + lambda_k * (gamma * metrics["L_real"] - metrics["L_fake"])
    return {"k": jnp.clip(k, 0.0, 1.0)}

  def example_loss(out, images):
    """Each real image's reconstruction error."""
    del images  # compared with what D was given (out.target)
    return example_errors(out)

  return Objective(d_loss=d_loss, g_loss=g_loss, init_state=init_state,
                   update_state=update_state, example_loss=example_loss)
