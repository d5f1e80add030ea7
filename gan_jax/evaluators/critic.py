"""``wasserstein``: an estimate of the Wasserstein-1 distance between generated and real images
for any generator, from an independent critic trained for the evaluation (the CelebA
upsampling/WGAN study's Table 2, which compares DCGANs and a WGAN by it).

Protocol: ``num_samples`` generated images and ``reference_count`` real ones of
``reference_split``, both in [-1, 1] as the GAN sees them; each set split into a fitting part
and a held-out ``held_out`` fraction (seeded). A fresh critic (the DCGAN discriminator with
layer norm, widths ``critic_width``, no batch statistics) is trained from ``critic_seed`` for
``critic_steps`` updates of WGAN-GP (Gulrajani et al. 2017: E[f(G)] - E[f(x)] + ``gp_weight``
x (|grad f(x_hat)| - 1)^2 at random interpolates, Adam(``lr``, 0, 0.9)) on batches of
``batch_size`` of each, drawn with replacement from the fitting parts.

The penalty is soft: the critic's slope settles above 1 (for a linear critic at
1 + W1 / (2 ``gp_weight``), so E[f(x)] - E[f(G)] overstates W1 by that factor: 1.4x at W1 = 8
with weight 10). ``critic_wasserstein`` is therefore E[f(x)] - E[f(G)] on the held-out images
divided by ``critic_gradient_norm``, the critic's mean |grad f| at held-out interpolates
(exact for a linear critic; within 3% of the known distance in the tests);
``critic_wasserstein_undivided`` is the undivided value (what a WGAN-GP critic logs),
``critic_wasserstein_fit`` the divided value on the fitting images (above the held-out one
when the critic overfits). Distances are in the
Euclidean metric on [-1, 1] pixels: a 32x32 grey image lies within 64 of any other.

The estimate depends on the critic, its budget and the sample counts, all recorded in the
protocol: compare models only under one protocol (the study's own critic is unknown).
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax.evaluators.base import EVALUATORS, EvalResult, Evaluator
from gan_jax.models.conditioning import Condition
from gan_jax.models.dcgan import DCGANDiscriminator
from gan_jax.utils.errors import ConfigError


def _as_float(images) -> np.ndarray:
  return np.asarray(images, np.float32) / 127.5 - 1.0


def _critic(image_size: int, width: int) -> DCGANDiscriminator:
  return DCGANDiscriminator(width, image_size, norm="layer", downsample="strided",
                            condition=Condition(), impl="fast")


def train_critic(real, fake, *, steps: int, width: int, batch_size: int, lr: float,
                 gp_weight: float, seed: int, held_out: float):
  """The critic's estimates on (real, fake) float images in [-1, 1]: a dict of
  ``critic_wasserstein`` (held out, divided by the critic's slope),
  ``critic_wasserstein_undivided``, ``critic_wasserstein_fit``, ``critic_gradient_norm`` (see the
  module's docstring)."""
  if real.shape[1:] != fake.shape[1:]:
    raise ConfigError(f"real images {real.shape[1:]} and generated ones {fake.shape[1:]} differ.")
  rng = np.random.default_rng(seed)

  def split(x):
    idx = rng.permutation(len(x))
    n_out = max(1, int(round(held_out * len(x))))
    if len(x) - n_out < 2:
      raise ConfigError(f"evals.wasserstein needs more images: {len(x)} leave "
                        f"{len(x) - n_out} to fit the critic.")
    return x[idx[n_out:]], x[idx[:n_out]]

  real_fit, real_out = split(real)
  fake_fit, fake_out = split(fake)
  critic = _critic(real.shape[1], width)
  params = critic.init(jax.random.PRNGKey(seed), jnp.zeros((1,) + real.shape[1:]),
                       train=False)["params"]
  tx = optax.adam(lr, b1=0.0, b2=0.9)
  opt_state = tx.init(params)

  def f(p, x):
    return critic.apply({"params": p}, x, train=False).logits

  def grad_norms(p, x):
    g = jax.grad(lambda x_: jnp.sum(f(p, x_)))(x)
    return jnp.sqrt(jnp.sum(g.reshape(g.shape[0], -1) ** 2, -1) + 1e-12)

  def interpolate(key, r, g):
    e = jax.random.uniform(key, (r.shape[0],) + (1,) * (r.ndim - 1))
    return e * r + (1.0 - e) * g

  @jax.jit
  def step(p, s, r, g, key):
    def loss(p):
      gp = jnp.mean((grad_norms(p, interpolate(key, r, g)) - 1.0) ** 2)
      return jnp.mean(f(p, g)) - jnp.mean(f(p, r)) + gp_weight * gp
    grads = jax.grad(loss)(p)
    updates, s = tx.update(grads, s, p)
    return optax.apply_updates(p, updates), s

  base = jax.random.PRNGKey(seed + 1)
  for i in range(steps):
    r = real_fit[rng.integers(0, len(real_fit), batch_size)]
    g = fake_fit[rng.integers(0, len(fake_fit), batch_size)]
    params, opt_state = step(params, opt_state, r, g, jax.random.fold_in(base, i))

  scores = jax.jit(f)

  def mean_score(x):
    return float(np.mean(np.concatenate(
        [np.asarray(scores(params, x[i:i + 256])) for i in range(0, len(x), 256)])))

  n = min(len(real_out), len(fake_out))
  norms = np.asarray(jax.jit(grad_norms)(
      params, interpolate(jax.random.fold_in(base, steps), real_out[:n], fake_out[:n])))
  slope = float(norms.mean())
  raw = mean_score(real_out) - mean_score(fake_out)
  return {"critic_wasserstein": raw / slope, "critic_wasserstein_undivided": raw,
          "critic_wasserstein_fit": (mean_score(real_fit) - mean_score(fake_fit)) / slope,
          "critic_gradient_norm": slope}


@EVALUATORS.register("wasserstein")
class WassersteinCritic(Evaluator):
  """A Wasserstein distance estimate from a fresh critic trained on real and generated images."""
  name = "wasserstein"

  def __init__(self, cfg, ctx, name=None):
    super().__init__(cfg, ctx, name)
    self._reference = None

  def prepare(self):
    c = self.cfg
    if not 0 < c.held_out < 1:
      raise ConfigError(f"evals.{self.name}.held_out must be in (0, 1), got {c.held_out}.")
    for field in ("critic_steps", "critic_width", "batch_size"):
      if not c[field] > 0:
        raise ConfigError(f"evals.{self.name}.{field} must be > 0, got {c[field]}.")
    if not (c.lr > 0 and c.gp_weight > 0):
      raise ConfigError(f"evals.{self.name}.lr and gp_weight must be > 0.")
    size = self.ctx.dataset["image_size"]
    _critic(size, c.critic_width).init(jax.random.PRNGKey(0), jnp.zeros((1, size, size, 1)),
                                       train=False)  # an impossible image size fails here
    self.reference()

  def reference(self):
    if self._reference is None:
      c = self.cfg
      self._reference = self.ctx.data.reference_images(c.reference_split, c.reference_count,
                                                        c.reference_seed)
    return self._reference

  def evaluate(self, generate, step, final):
    t0 = time.time()
    c = self.cfg
    num = c.final_num_samples if final else c.num_samples
    real, what = self.reference()
    fake, _ = generate(num, c.seed, c.batch_size)
    scalars = train_critic(_as_float(real), _as_float(fake), steps=c.critic_steps,
                           width=c.critic_width, batch_size=c.batch_size, lr=c.lr,
                           gp_weight=c.gp_weight, seed=c.critic_seed, held_out=c.held_out)
    protocol = {
        "critic": f"DCGAN discriminator, layer norm, widths {c.critic_width}, fresh from seed "
                  f"{c.critic_seed}", "objective": f"WGAN-GP, penalty weight {c.gp_weight}",
        "optimizer": f"Adam({c.lr}, 0, 0.9)", "steps": c.critic_steps, "batch_size": c.batch_size,
        "held_out": c.held_out, "num_generated": num, "generator_noise_seed": c.seed,
        "reference": {"split": c.reference_split, "count": len(real), "source": what},
        "estimate": "(E[f(real)] - E[f(generated)]) / mean |grad f| at interpolates, on the "
                    "held-out images, pixels in [-1, 1]"}
    return EvalResult(self.name, step, final, scalars, protocol, round(time.time() - t0, 1), num)
