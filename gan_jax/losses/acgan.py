"""ACGAN (Odena et al. 2017, "Conditional image synthesis with auxiliary classifier GANs"):
the discriminator also predicts the condition (``DOutput.class_logits``), on top of any
adversarial objective.

  D: adversarial loss + weight * (C(x, y_real) + C(G(z, y), y))
  G: adversarial loss + weight * C(G(z, y), y)

C is softmax cross-entropy for class indices and sigmoid binary cross-entropy (mean over the
labels) for multi-hot conditions. ``d_fake_class=False`` drops C(G(z, y), y) from D's loss:
D then learns the classes from real images only, so it cannot make the task easy by
classifying G's samples, the change users of the big GAN libraries found necessary when
ACGAN's samples collapse to easily classified images.

Metrics: ``aux_real`` / ``aux_fake`` (D's class losses), ``aux_acc_real`` (D's accuracy on
real labels: top-1 for classes, top-k for multi-hot as the i-CLEVR report's score), ``g_aux``.
"""

import dataclasses

import jax
import jax.numpy as jnp
import optax

from gan_jax.losses.objective import Objective
from gan_jax.metrics import topk
from gan_jax.utils.errors import ConfigError


def class_loss(class_logits, labels):
  """Mean cross-entropy of ``class_logits`` (B, K) against class indices (B,) or multi-hot
  vectors (B, K)."""
  if class_logits is None:
    raise ConfigError("loss.acgan needs a discriminator with an auxiliary classifier "
                      "(model.name dcgan or mlp).")
  if labels.ndim == 1:
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(class_logits, labels))
  return jnp.mean(optax.sigmoid_binary_cross_entropy(class_logits, labels))


def with_aux_classifier(objective: Objective, weight: float, d_fake_class: bool = True
                        ) -> Objective:
  if weight < 0:
    raise ConfigError(f"loss.acgan.weight must be >= 0, got {weight}.")
  if weight == 0:
    return objective

  def d_loss(real_out, fake_out, inputs, state, _inner=objective.d_loss):
    value, metrics = _inner(real_out, fake_out, inputs, state)
    if inputs.real_labels is None:
      raise ConfigError("loss.acgan needs a conditional model: set model.conditional=True.")
    aux_real = class_loss(real_out.class_logits, inputs.real_labels)
    aux_fake = class_loss(fake_out.class_logits, inputs.fake_labels)
    aux = aux_real + (aux_fake if d_fake_class else 0.0)
    return value + weight * aux, dict(
        metrics, aux_real=aux_real, aux_fake=aux_fake,
        aux_acc_real=topk.topk_score(jax.lax.stop_gradient(real_out.class_logits),
                                   inputs.real_labels))

  def g_loss(fake_out, inputs, state, _inner=objective.g_loss):
    value, metrics = _inner(fake_out, inputs, state)
    aux = class_loss(fake_out.class_logits, inputs.fake_labels)
    return value + weight * aux, dict(metrics, g_aux=aux)

  return dataclasses.replace(objective, d_loss=d_loss, g_loss=g_loss)
