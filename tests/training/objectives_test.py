"""BEGAN, WGAN-GP, R1, the out-of-bound penalty, the dynamic critic count and the
learning-rate plateau: each against its formula, under jit, on 1 and 8 devices, resumed."""

import dataclasses
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from helpers import batch_for, configured

from gan_jax import losses
from gan_jax.losses import GANInputs, penalties
from gan_jax.models import DOutput
from gan_jax.training import optimizers, train
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError

from helpers import ROOT  # noqa: E402

BEGAN = {"model.name": "began", "loss.name": "began", "model.began.filters": 8,
         "model.began.code_dim": 8, "model.latent_dist": "uniform"}


def test_every_objective_is_registered_and_the_loop_names_none_of_them():
  names = set(losses.OBJECTIVES.names())
  assert {"non_saturating", "minimax", "hinge", "least_squares", "wgan", "wgan_gp",
          "began"} <= names
  for module in ("steps.py", "train.py", "build.py", "loop.py", "seed_ensemble.py"):
    source = open(os.path.join(ROOT, "gan_jax", "training", module)).read()
    for name in names:
      assert f'"{name}"' not in source and f"'{name}'" not in source, (module, name)


def test_began_losses_k_update_and_convergence_measure_follow_the_paper():
  obj = losses.OBJECTIVES.get("began")(gamma=0.4, lambda_k=0.001)
  rng = np.random.default_rng(0)
  real, fake = (jnp.asarray(rng.normal(size=(4, 8, 8, 3)), jnp.float32) for _ in range(2))
  rec_r, rec_f = real + 0.3, fake - 0.1
  inputs = GANInputs(real=real, fake=fake)
  state = {"k": jnp.asarray(0.25)}
  d, m = obj.d_loss(DOutput(jnp.zeros(4), reconstruction=rec_r, target=real),
                    DOutput(jnp.zeros(4), reconstruction=rec_f, target=fake), inputs, state)
  np.testing.assert_allclose(d, 0.3 - 0.25 * 0.1, rtol=1e-5)
  np.testing.assert_allclose(m["M"], 0.3 + abs(0.4 * 0.3 - 0.1), rtol=1e-5)
  g, gm = obj.g_loss(DOutput(jnp.zeros(4), reconstruction=fake + 0.2, target=fake), inputs,
                     state)
  np.testing.assert_allclose(g, 0.2, rtol=1e-5)
  # k from the D pass's two losses (L_fake = 0.1), not from G's pass through the updated D
  k = obj.update_state(state, {**m, **gm})["k"]
  np.testing.assert_allclose(k, 0.25 + 0.001 * (0.4 * 0.3 - 0.1), rtol=1e-5)
  # k_t is clipped to [0, 1]
  assert float(obj.update_state({"k": jnp.asarray(0.0)}, {"L_real": 0.0, "L_fake": 9.})["k"]) == 0
  assert float(obj.update_state({"k": jnp.asarray(1.0)}, {"L_real": 9.0, "L_fake": 0.})["k"]) == 1
  with pytest.raises(ConfigError, match="autoencoder"):
    obj.d_loss(DOutput(jnp.zeros(4)), DOutput(jnp.zeros(4)), inputs, state)


def test_began_compares_the_reconstruction_with_what_d_was_given(test_config):
  """With DiffAugment, D reconstructs the augmented image: L(v) is |target - D(target)|
  (``DOutput.target``, the network's own input), never the un-augmented batch."""
  obj = losses.OBJECTIVES.get("began")(gamma=0.5)
  real = jnp.zeros((2, 4, 4, 1))
  seen = real + 1.0  # what an augmentation handed D
  out = DOutput(jnp.zeros(2), reconstruction=seen + 0.25, target=seen)
  _, m = obj.d_loss(out, out, GANInputs(real=real, fake=real), {"k": jnp.asarray(0.0)})
  np.testing.assert_allclose(m["L_real"], 0.25, rtol=1e-6)
  np.testing.assert_allclose(obj.example_loss(out, real), [0.25, 0.25], rtol=1e-6)
  from gan_jax import models
  from gan_jax.models.conditioning import Condition
  config = configured(test_config, BEGAN)
  _, d = models.build(config.model, channels=1, image_size=16, condition=Condition())
  x = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)), jnp.float32)
  variables = d.init(jax.random.PRNGKey(0), x)
  d_out = d.apply(variables, x)
  np.testing.assert_array_equal(d_out.target, x)


def _began_step_reference(exp, state, batch):
  """L(x), L(G(z)) and M of the paper's equations for one step, computed outside the step
  from the state before it: D and G at theta_t, z drawn as the step draws it."""
  z_key, _ = jax.random.split(jax.random.fold_in(state.rng, state.step))
  z, _ = exp.sampler.draw(jax.random.fold_in(z_key, 0), batch["image"].shape[1])
  fake = exp.generator.apply({"params": state.g_params, "batch_stats": state.g_batch_stats},
                             z, None, train=True, mutable=["batch_stats"],
                             rngs={"noise": jax.random.PRNGKey(0)})[0]

  def l1(v):
    rec = exp.discriminator.apply({"params": state.d_params}, v, None).reconstruction
    return float(np.mean(np.abs(np.asarray(v) - np.asarray(rec))))
  return l1(jnp.asarray(batch["image"][0])), l1(fake)


LUCIC = {"model.began.generator": "dcgan", "model.began.discriminator": "strided",
         "model.g_hidden": 8, "model.d_hidden": 8}


@pytest.mark.parametrize("networks", [{}, LUCIC], ids=["paper", "lucic"])
def test_began_two_steps_against_the_papers_equations(test_config, networks):
  """Two real steps: each step's L(x), L(G(z)), L_D, M and k_{t+1} equal the paper's
  equations evaluated by hand at the state before the step (one pass drives k and M), with
  the paper's networks and with Lucic et al.'s (a batch-norm G: G(z) in training mode)."""
  config = configured(test_config, dict(BEGAN, **networks))
  config.loss.began.gamma, config.loss.began.lambda_k = 0.5, 0.3  # k moves visibly
  config.loss.began.k_init = 0.1
  exp = Experiment(config, parallel.make_mesh(1))
  state = exp.init_state()
  k = 0.1
  for step in range(2):
    batch = batch_for(config, seed=step)
    l_real, l_fake = _began_step_reference(exp, state, batch)
    state, m = exp.train_step(state, exp.put_batch(batch))
    np.testing.assert_allclose(m["L_real"], l_real, rtol=1e-5)
    np.testing.assert_allclose(m["L_fake"], l_fake, rtol=1e-5)
    np.testing.assert_allclose(m["k"], k, rtol=1e-6)
    np.testing.assert_allclose(m["d_loss"], l_real - k * l_fake, rtol=1e-5)
    np.testing.assert_allclose(m["M"], l_real + abs(0.5 * l_real - l_fake), rtol=1e-5)
    k = min(max(k + 0.3 * (0.5 * l_real - l_fake), 0.0), 1.0)
    np.testing.assert_allclose(state.loss_state["k"], k, rtol=1e-5)
    # G's pass sees the updated D: apart by far more than the 1e-5 the equalities allow
    assert abs(float(m["L_fake_g"]) - l_fake) > 1e-4 * l_fake


def test_began_cs_code_consistency_adds_alpha_times_the_code_error_to_d_only(test_config):
  """BEGAN-CS: L_D += alpha * mean |Enc(G(z)) - z|; G's loss is unchanged. In a real step the
  term is D's code of the step's own G(z) against the step's own z."""
  obj = losses.OBJECTIVES.get("began")(gamma=0.5, code_consistency=0.1)
  real = jnp.zeros((2, 4, 4, 1))
  z = jnp.asarray([[0.5, -0.5], [0.25, 0.0]])
  out = DOutput(jnp.zeros(2), reconstruction=real + 0.2, target=real, code=z + 0.4)
  d, m = obj.d_loss(out, out, GANInputs(real=real, fake=real, z=z), {"k": jnp.asarray(0.5)})
  np.testing.assert_allclose(m["L_code"], 0.4, rtol=1e-6)
  np.testing.assert_allclose(d, 0.2 - 0.5 * 0.2 + 0.1 * 0.4, rtol=1e-6)
  g, gm = obj.g_loss(out, GANInputs(real=None, fake=real, z=z), {"k": jnp.asarray(0.5)})
  assert float(g) == pytest.approx(0.2) and "L_code" not in gm
  with pytest.raises(ConfigError, match="code_dim to model.latent_dim"):
    obj.d_loss(out, out, GANInputs(real=real, fake=real, z=jnp.zeros((2, 3))),
               {"k": jnp.asarray(0.5)})

  config = configured(test_config.copy_and_resolve_references(),
                      dict(BEGAN, **{"loss.began.code_consistency": 0.1}))  # z and code: 8
  exp = Experiment(config, parallel.make_mesh(1))
  state = exp.init_state()
  batch = batch_for(config)
  z_key, _ = jax.random.split(jax.random.fold_in(state.rng, state.step))
  z, _ = exp.sampler.draw(jax.random.fold_in(z_key, 0), config.data.batch_size)
  fake = exp.generator.apply({"params": state.g_params, "batch_stats": state.g_batch_stats},
                             z, None, train=True, mutable=["batch_stats"],
                             rngs={"noise": jax.random.PRNGKey(0)})[0]
  code = exp.discriminator.apply({"params": state.d_params}, fake, None).code
  l_real, l_fake = _began_step_reference(exp, state, batch)
  _, m = exp.train_step(state, exp.put_batch(batch))
  expected = float(np.mean(np.abs(np.asarray(code) - np.asarray(z))))
  np.testing.assert_allclose(m["L_code"], expected, rtol=1e-5)
  np.testing.assert_allclose(m["d_loss"], l_real - 0.0 * l_fake + 0.1 * expected, rtol=1e-5)
  with pytest.raises(ConfigError, match="code_dim"):
    bad = configured(test_config, dict(BEGAN, **{"loss.began.code_consistency": 0.1,
                                                 "model.began.code_dim": 4}))
    e = Experiment(bad, parallel.make_mesh(1))
    e.train_step(e.init_state(), e.put_batch(batch_for(bad)))


def test_began_on_real_data_lowers_m_and_keeps_k_in_range(test_config):
  """60 steps of the BEGAN networks (8 filters) on the synthetic shapes dataset through the
  real input pipeline: the convergence measure falls and k_t stays in [0, 1]."""
  config = configured(test_config, BEGAN)
  config.loss.began.gamma = 0.4
  for opt in (config.g_optimizer, config.d_optimizer):
    opt.lr = 5e-4
  mesh = parallel.make_mesh(1)
  exp = Experiment(config, mesh)
  state = exp.init_state()
  ms, ks = [], []
  for batch in exp.data.train_batches(exp.data.load_split("train"), 0, 60):
    state, metrics = exp.train_step(state, exp.put_batch(batch))
    ms.append(float(metrics["M"]))
    ks.append(float(metrics["k"]))
  assert np.mean(ms[-10:]) < 0.8 * np.mean(ms[:10])
  assert min(ks) >= 0 and max(ks) <= 1 and max(ks) > 0


def test_began_resume_is_exact_with_k_and_the_learning_rate_schedule(test_config, tmp_path):
  """Train 12 straight vs 6 + resume to 12, with a plateau window of 1 step so the
  learning-rate scale is cut within the run: every leaf of the state (k_t and the plateau's
  state included) is bit-identical."""
  config = configured(test_config, BEGAN)
  config.lr_plateau.metric = "M"
  config.lr_plateau.window = 1
  config.lr_plateau.patience = 1
  config.lr_plateau.min_scale = 0.25
  mesh = parallel.make_mesh(2)
  straight = jax.device_get(train.train_and_evaluate(config, str(tmp_path / "a"), mesh))
  half = config.copy_and_resolve_references()
  half.num_train_steps = 6
  train.train_and_evaluate(half, str(tmp_path / "b"), mesh)
  resumed = jax.device_get(train.train_and_evaluate(config, str(tmp_path / "b"), mesh))
  for a, b in zip(jax.tree.leaves(straight), jax.tree.leaves(resumed)):
    np.testing.assert_array_equal(a, b)
  scale = float(straight.g_opt_state[-1].scale)
  assert 0.25 <= scale < 1.0  # cut at least once, never below the floor
  assert float(straight.d_opt_state[-1].scale) == scale
  assert 0 < float(straight.loss_state["k"]) <= 1


def test_reduce_on_plateau_halves_after_patience_windows_down_to_the_floor(test_config):
  plateau = test_config.lr_plateau
  plateau.metric, plateau.window, plateau.patience, plateau.min_scale = "M", 2, 1, 0.25
  tx = optimizers.make(test_config.g_optimizer, "g_optimizer", plateau)
  params = {"w": jnp.ones(3)}
  state = tx.init(params)
  scales = []
  for _ in range(12):  # a constant metric never improves after its first window
    _, state = tx.update({"w": jnp.ones(3)}, state, params, value=jnp.asarray(1.0))
    scales.append(float(state[-1].scale))
  assert scales[:3] == [1.0, 1.0, 1.0] and scales[3] == 0.5 and scales[-1] == 0.25


def test_plateau_on_a_metric_the_discriminator_does_not_report_names_the_choices(test_config):
  test_config.lr_plateau.metric = "M"  # the non-saturating loss has no M
  exp = Experiment(test_config, parallel.make_mesh(1))
  with pytest.raises(ConfigError, match="lr_plateau.metric='M'.*D_x"):
    exp.train_step(exp.init_state(), exp.put_batch(batch_for(test_config)))


def _tiny_critic(w):
  def critic(x, y):
    del y
    h = jnp.tanh(x.reshape(x.shape[0], -1) @ w["a"])
    return DOutput(logits=(h ** 2) @ w["b"])
  return critic


def test_gradient_penalty_gradient_matches_finite_differences():
  """d(penalty)/d(critic parameters) from JAX's second-order autodiff equals central finite
  differences of the penalty (float64, a tiny two-layer critic), and the penalty itself equals
  a finite-difference estimate of the input-gradient norms."""
  with jax.enable_x64(True):
    rng = np.random.default_rng(0)
    w = {"a": jnp.asarray(rng.normal(size=(12, 5))), "b": jnp.asarray(rng.normal(size=5))}
    real = jnp.asarray(rng.normal(size=(3, 2, 2, 3)))
    fake = jnp.asarray(rng.normal(size=(3, 2, 2, 3)))
    key = jax.random.PRNGKey(3)

    def gp(w):
      return penalties.gradient_penalty(_tiny_critic(w), real, fake, None, key)

    grads = jax.grad(gp)(w)
    h = 1e-6
    for name in ("a", "b"):
      flat = np.asarray(w[name]).ravel()
      for i in range(0, flat.size, 7):
        plus, minus = flat.copy(), flat.copy()
        plus[i] += h
        minus[i] -= h
        fd = (gp({**w, name: jnp.asarray(plus.reshape(w[name].shape))})
              - gp({**w, name: jnp.asarray(minus.reshape(w[name].shape))})) / (2 * h)
        np.testing.assert_allclose(np.asarray(grads[name]).ravel()[i], fd, rtol=1e-5, atol=1e-8)

    # the penalty's value from finite-difference input gradients
    eps = jax.random.uniform(key, (3, 1, 1, 1), jnp.float64)
    x_hat = np.asarray(eps * real + (1 - eps) * fake)
    crit = _tiny_critic(w)
    norms = []
    for b in range(3):
      g = np.zeros(12)
      for j in range(12):
        xp, xm = x_hat.copy(), x_hat.copy()
        xp[b].reshape(-1)[j] += h
        xm[b].reshape(-1)[j] -= h
        g[j] = (float(crit(jnp.asarray(xp), None).logits[b])
                - float(crit(jnp.asarray(xm), None).logits[b])) / (2 * h)
      norms.append(np.linalg.norm(g))
    np.testing.assert_allclose(gp(w), np.mean((np.asarray(norms) - 1) ** 2), rtol=1e-6)


def test_r1_and_out_of_bound_penalties_equal_their_formulas(test_config):
  w = {"a": jnp.eye(12, 5), "b": jnp.ones(5)}
  x = jnp.linspace(-1, 1, 24).reshape(2, 2, 2, 3)
  g = jax.vmap(jax.grad(lambda xi: _tiny_critic(w)(xi[None], None).logits[0]))(x)
  np.testing.assert_allclose(penalties.r1_penalty(_tiny_critic(w), x, None),
                             np.mean(np.sum(np.asarray(g).reshape(2, -1) ** 2, -1)), rtol=1e-5)
  images = jnp.asarray([[-1.5, -1.0, 0.3, 1.0, 1.2]])
  np.testing.assert_allclose(penalties.out_of_bound_penalty(images), 0.25 + 0.04, rtol=1e-5)
  assert float(penalties.out_of_bound_penalty(jnp.clip(images, -1, 1))) == 0.0
  # both plug into any objective through the config, and report themselves
  test_config.loss.r1_gamma, test_config.loss.out_of_bound = 2.0, 1.0
  exp = Experiment(test_config, parallel.make_mesh(1))
  _, metrics = exp.train_step(exp.init_state(), exp.put_batch(batch_for(test_config)))
  assert float(metrics["r1"]) > 0 and float(metrics["out_of_bound"]) == 0.0  # tanh output


@pytest.mark.parametrize("thresholds,expected", [((1e9, 1e9), (1, 1)), ((0.0, 0.0), (4, 3))])
def test_dynamic_critic_count_uses_and_logs_the_counts_on_1_and_8_devices(
    test_config, thresholds, expected):
  """A threshold no loss exceeds gives one update each; a threshold every loss exceeds gives
  the caps. 1 and 8 devices agree on the counts, losses and parameters (SGD)."""
  dyn = test_config.loss.dynamic_steps
  dyn.enabled, (dyn.d_threshold, dyn.g_threshold), dyn.max_d, dyn.max_g = True, thresholds, 4, 3
  for opt in (test_config.g_optimizer, test_config.d_optimizer):
    opt.name = "sgd"
  results = []
  for n in (1, 8):
    exp = Experiment(test_config, parallel.make_mesh(n))
    state = exp.init_state()
    state, metrics = exp.train_step(state, exp.put_batch(batch_for(test_config)))
    results.append((jax.device_get(state), jax.device_get(metrics)))
  (s1, m1), (s8, m8) = results
  assert (m1["d_updates"], m1["g_updates"]) == expected
  for k in m1:
    np.testing.assert_allclose(m1[k], m8[k], rtol=1e-4, atol=1e-5, err_msg=k)
  for a, b in zip(jax.tree.leaves((s1.g_params, s1.d_params)),
                  jax.tree.leaves((s8.g_params, s8.d_params))):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_dynamic_critic_count_needs_one_real_batch_per_step(test_config):
  test_config.loss.dynamic_steps.enabled = True
  test_config.loss.d_steps = 2
  with pytest.raises(ConfigError, match="d_steps=1"):
    Experiment(test_config, parallel.make_mesh(1))


def test_wgan_gp_step_reports_the_penalty_and_does_not_clip(test_config):
  test_config.loss.name = "wgan_gp"
  test_config.model.dcgan.d_norm = "layer"
  exp = Experiment(test_config, parallel.make_mesh(1))
  state = exp.init_state()
  for s in range(2):
    state, metrics = exp.train_step(state, exp.put_batch(batch_for(test_config, s)))
  assert float(metrics["gradient_penalty"]) > 0
  assert max(float(jnp.max(jnp.abs(w))) for w in jax.tree.leaves(state.d_params)) > 0.01
  np.testing.assert_allclose(
      metrics["d_loss"], -metrics["wasserstein"] + 10 * metrics["gradient_penalty"], rtol=1e-4)


def test_optax_plateau_state_is_what_the_step_logs(test_config):
  """``lr_scale`` in the metrics is the generator optimizer's plateau scale."""
  config = configured(test_config, BEGAN)
  config.lr_plateau.metric = "M"
  config.lr_plateau.window, config.lr_plateau.patience = 1, 1
  exp = Experiment(config, parallel.make_mesh(1))
  state = exp.init_state()
  for s in range(3):
    state, metrics = exp.train_step(state, exp.put_batch(batch_for(config, s, channels=1)))
  assert float(metrics["lr_scale"]) == float(state.g_opt_state[-1].scale)
  assert isinstance(state.g_opt_state[-1], optax.contrib.ReduceLROnPlateauState)


def test_real_image_threshold_leaves_out_high_loss_images_and_resumes_exactly(
    test_config, tmp_path):
  """256 synthetic images, batch 16: 16-step epochs. After epoch 0 the images whose loss
  exceeded mean + 2 std are left out of epoch 1 (checked against the recorded losses); 40 steps
  straight == 20 + resume (mid-epoch) == 16 + resume (exactly at an epoch's end), bit for bit,
  the per-image state included."""
  from gan_jax.training import threshold
  config = test_config
  config.num_train_steps = 40
  config.data.real_threshold.enabled = True
  config.checkpoint_every = 100
  mesh = parallel.make_mesh(2)
  straight = jax.device_get(train.train_and_evaluate(config, str(tmp_path / "a"), mesh))
  assert int(straight.data_state["epoch"]) == 2
  parts = {}
  for cut in (20, 16):
    part = config.copy_and_resolve_references()
    part.num_train_steps = cut
    parts[cut] = jax.device_get(train.train_and_evaluate(part, str(tmp_path / f"b{cut}"), mesh))
    resumed = jax.device_get(train.train_and_evaluate(config, str(tmp_path / f"b{cut}"), mesh))
    for a, b in zip(jax.tree.leaves(straight), jax.tree.leaves(resumed)):
      np.testing.assert_array_equal(a, b)
  # epoch 0's record -> epoch 1's kept set, by the formula
  s16 = parts[16]
  loss, seen = np.asarray(s16.data_state["loss"]), np.asarray(s16.data_state["seen"])
  assert seen.all()  # every image seen once in a whole epoch
  want = ~(loss > loss.mean() + 2 * loss.std())
  assert 0 < (~want).sum() < 30
  new = threshold.next_epoch(s16.data_state, 16, 2.0)
  np.testing.assert_array_equal(new["kept"], want)
  # epoch 1 reads only kept images, each at most once
  exp = Experiment(config, parallel.make_mesh(1))
  kept = np.flatnonzero(want)
  read = np.concatenate([b["index"].ravel() for b in exp.data.train_batches(
      exp.data.load_split("train"), 16, 16 + len(kept) // 16, kept, 1, 16)])
  assert set(read) <= set(kept) and len(set(read)) == len(read) == (len(kept) // 16) * 16


def test_generator_ema_is_what_sampling_and_evaluation_use(test_config):
  """With ``ema_decay`` the EMA follows p_ema <- d_t p_ema + (1 - d_t) p with the warm-up
  d_t = min(ema_decay, (1 + t) / (10 + t)) (so early weights fade fast), and every sample
  (grids, --mode=sample, the evaluators' ``generate``) comes from the EMA weights."""
  test_config.ema_decay = 0.15
  exp = Experiment(test_config, parallel.make_mesh(1))
  state = exp.init_state()
  ema = jax.device_get(state.g_params)
  for t, d in enumerate([0.1, 0.15]):  # min(0.15, 1/10), min(0.15, 2/11)
    state, _ = exp.train_step(state, exp.put_batch(batch_for(test_config, t)))
    p = jax.device_get(state.g_params)
    ema = jax.tree.map(lambda e, p: d * e + (1 - d) * p, ema, p)
    for e, want in zip(jax.tree.leaves(state.g_ema_params), jax.tree.leaves(ema)):
      np.testing.assert_allclose(e, want, rtol=1e-5, atol=1e-7)
  state = state.replace(g_ema_params=jax.tree.map(lambda x: 0.5 * x, state.g_params))
  z, y, _ = exp.sampling.grid_inputs(4, 0)
  want = exp.generator.apply({"params": state.g_ema_params, "batch_stats": state.g_batch_stats},
                             z, y, train=False)
  np.testing.assert_allclose(exp.sampling.sample(state, z, y), want, rtol=1e-5, atol=1e-6)
  raw = exp.generator.apply({"params": state.g_params, "batch_stats": state.g_batch_stats},
                            z, y, train=False)
  assert not np.allclose(want, raw)
  images, _ = exp.sampling.generate(state, 4, 0, 4)
  z4, y4 = exp.sampling.draw_indexed(jax.random.PRNGKey(0), 0, 4)
  from gan_jax.metrics.preprocess import quantize
  ema_images = quantize(np.asarray(exp.generator.apply(
      {"params": state.g_ema_params, "batch_stats": state.g_batch_stats}, z4, y4, train=False)))
  assert np.mean(images == ema_images) > 0.999


def _recording_label_pairs(monkeypatch):
  """Experiments built after this report ``labels_paired``: 1 when every generated image of
  the discriminator's update was drawn under its real image's label."""
  build = losses.build

  def recording(loss_cfg):
    objective = build(loss_cfg)

    def d_loss(real_out, fake_out, inputs, state, _inner=objective.d_loss):
      value, metrics = _inner(real_out, fake_out, inputs, state)
      same = jnp.all(inputs.fake_labels == inputs.real_labels).astype(jnp.float32)
      return value, dict(metrics, labels_paired=same)
    return dataclasses.replace(objective, d_loss=d_loss)

  monkeypatch.setattr(losses, "build", recording)


@pytest.mark.parametrize("dynamic", [False, True])
def test_conditional_wgan_gp_interpolates_images_of_one_condition(test_config, monkeypatch,
                                                                  dynamic):
  """The penalty mixes real image i with generated image i under real label i: the critic's
  generated batch must have been drawn for those labels, in fixed and dynamic updates."""
  test_config.loss.name = "wgan_gp"
  test_config.model.conditional = True
  test_config.model.dcgan.d_norm = "layer"
  test_config.loss.dynamic_steps.enabled = dynamic
  _recording_label_pairs(monkeypatch)
  exp = Experiment(test_config, parallel.make_mesh(1))
  state, metrics = exp.train_step(exp.init_state(), exp.put_batch(batch_for(test_config)))
  assert float(metrics["labels_paired"]) == 1.0
  assert float(metrics["gradient_penalty"]) > 0


def test_unpaired_objectives_keep_their_own_generated_labels(test_config, monkeypatch):
  """The non-saturating loss still draws G's labels independently of the real batch."""
  test_config.model.conditional = True
  _recording_label_pairs(monkeypatch)
  exp = Experiment(test_config, parallel.make_mesh(1))
  state, metrics = exp.train_step(exp.init_state(), exp.put_batch(batch_for(test_config)))
  assert float(metrics["labels_paired"]) == 0.0
