"""Conditional GANs: the i-CLEVR report's networks layer for layer, the conditioning mechanisms,
ACGAN's and conditional BEGAN's losses against hand-computed values, and conditional grids."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import losses, models
from gan_jax.losses import GANInputs
from gan_jax.models import Condition, DOutput
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError


def _config(name):
  import importlib
  return importlib.import_module(f"configs.{name}").get_config()


def _kernels(params):
  """(path, shape) of every weight, in the order the layers run (flax names number them)."""
  flat = jax.tree_util.tree_leaves_with_path(params)
  return {jax.tree_util.keystr(p): tuple(x.shape) for p, x in flat}


def test_the_i_clevr_report_networks_layer_for_layer():
  c = _config("cgan_shapes")
  g, d = models.build(c.model, channels=3, image_size=64, condition=Condition("multi_hot", 24))
  z, y = jnp.zeros((2, 100)), jnp.zeros((2, 24))
  gp = g.init(jax.random.PRNGKey(0), z, y, train=False)
  dp = d.init(jax.random.PRNGKey(0), jnp.zeros((2, 64, 64, 3)), y, train=False)
  # PyTorch's counts: Linear(24, 200) + ConvT 300->512->256->128->64->3 (k4, no bias) + BN
  g_expected = (24 * 200 + 200) + 16 * (300 * 512 + 512 * 256 + 256 * 128 + 128 * 64 + 64 * 3) \
      + 2 * (512 + 256 + 128 + 64)
  # Linear(24, 64*64) + Conv 4->64->128->256->512 (k4, no bias) + BN each + Conv 512->1 (bias)
  d_expected = (24 * 4096 + 4096) + 16 * (4 * 64 + 64 * 128 + 128 * 256 + 256 * 512) \
      + 2 * (64 + 128 + 256 + 512) + (16 * 512 + 1)
  count = lambda t: sum(x.size for x in jax.tree.leaves(t))  # noqa: E731
  assert count(gp["params"]) == g_expected == 5220104
  assert count(dp["params"]) == d_expected == 2869121
  # layer for layer (flax numbers the layers in the order they run)
  assert {k: v for k, v in _kernels(gp["params"]).items() if "BatchNorm" not in k} == {
      "['LabelEmbedding_0']['TorchDense_0']['kernel']": (24, 200),
      "['LabelEmbedding_0']['TorchDense_0']['bias']": (200,),
      "['ConvTranspose_0']['kernel']": (4, 4, 300, 512),
      "['ConvTranspose_1']['kernel']": (4, 4, 512, 256),
      "['ConvTranspose_2']['kernel']": (4, 4, 256, 128),
      "['ConvTranspose_3']['kernel']": (4, 4, 128, 64),
      "['ConvTranspose_4']['kernel']": (4, 4, 64, 3)}
  assert {k: v for k, v in _kernels(dp["params"]).items() if "BatchNorm" not in k} == {
      "['LabelPlanes_0']['TorchDense_0']['kernel']": (24, 4096),
      "['LabelPlanes_0']['TorchDense_0']['bias']": (4096,),
      "['Conv_0']['kernel']": (4, 4, 4, 64), "['Conv_1']['kernel']": (4, 4, 64, 128),
      "['Conv_2']['kernel']": (4, 4, 128, 256), "['Conv_3']['kernel']": (4, 4, 256, 512),
      "['Conv_4']['kernel']": (4, 4, 512, 1), "['Conv_4']['bias']": (1,)}
  # every hidden D convolution, the first included, is batch-normalised
  assert len([k for k in _kernels(dp["params"]) if "BatchNorm" in k and "scale" in k]) == 4
  assert g.apply(gp, z, y, train=False).shape == (2, 64, 64, 3)


@pytest.mark.parametrize("label_input", ["planes", "dense_plane", "projection", "none"])
@pytest.mark.parametrize("backbone", ["dcgan", "mlp"])
def test_every_label_input_of_every_backbone_conditions_d_as_it_says(label_input, backbone):
  c = _config("test").model
  c.name, c.conditional, c.d_label_input = backbone, True, label_input
  cond = Condition("multi_hot", 5)
  _, d = models.build(c, channels=1, image_size=16, condition=cond)
  x = jax.random.normal(jax.random.PRNGKey(1), (4, 16, 16, 1))
  y1 = jnp.eye(5)[jnp.array([0, 1, 2, 3])]
  y2 = jnp.eye(5)[jnp.array([4, 4, 4, 4])]
  v = d.init({"params": jax.random.PRNGKey(0), "dropout": jax.random.PRNGKey(0)}, x, y1,
             train=False)
  out1, out2 = d.apply(v, x, y1, train=False), d.apply(v, x, y2, train=False)
  if label_input == "projection":
    assert "projection" in str(jax.tree_util.tree_structure(v["params"]))
  if label_input == "none":
    np.testing.assert_array_equal(out1.logits, out2.logits)
  else:
    assert not np.allclose(out1.logits, out2.logits)


def test_projection_adds_the_inner_product_of_the_label_embedding_and_the_features():
  from gan_jax.models.conditioning import DHead
  cond = Condition("class", 3)
  head = DHead(cond, "projection")
  feats = jnp.array([[1.0, 2.0], [0.5, -1.0]])
  logits = jnp.array([0.3, -0.2])
  y = jnp.array([2, 0])
  v = head.init(jax.random.PRNGKey(0), feats, logits, y)
  table = v["params"]["projection"]["kernel"]  # (3 classes, 2 features)
  out = head.apply(v, feats, logits, y)
  np.testing.assert_allclose(out.logits, logits + jnp.sum(table[y] * feats, -1), rtol=1e-6)
  aux = DHead(cond, "none", aux_classes=3)
  va = aux.init(jax.random.PRNGKey(0), feats, logits, y)
  out = aux.apply(va, feats, logits, y)
  np.testing.assert_array_equal(out.logits, logits)
  assert out.class_logits.shape == (2, 3)



def test_spectrally_normalised_projection_divides_the_table_by_its_largest_singular_value():
  from gan_jax.models.conditioning import DHead
  cond = Condition("multi_hot", 4)
  head = DHead(cond, "projection", spectral_norm=True)
  feats = jax.random.normal(jax.random.PRNGKey(1), (3, 6))
  logits = jnp.zeros(3)
  y = jnp.eye(4)[jnp.array([0, 2, 3])].at[0, 1].set(1.0)
  v = head.init(jax.random.PRNGKey(0), feats, logits, y)
  table = np.asarray(v["params"]["projection"]["kernel"])  # (4 tags, 6 features)
  stats = v["batch_stats"]
  for _ in range(30):  # one power iteration per training call
    _, new = head.apply({"params": v["params"], "batch_stats": stats}, feats, logits, y,
                        train=True, mutable=["batch_stats"])
    stats = new["batch_stats"]
  out = head.apply({"params": v["params"], "batch_stats": stats}, feats, logits, y)
  sigma = np.linalg.svd(table, compute_uv=False)[0]
  np.testing.assert_allclose(out.logits, np.sum((np.asarray(y) @ table / sigma) * feats, -1),
                             rtol=1e-4, atol=1e-5)
  assert not np.isclose(sigma, 1.0, atol=0.05)  # the normalisation is not a no-op here

def _softplus(x):
  return np.log1p(np.exp(x))


@pytest.mark.parametrize("d_fake_class", [True, False])
def test_acgan_class_losses_against_hand_computed_values(test_config, d_fake_class):
  cfg = test_config.loss
  cfg.acgan.weight, cfg.acgan.d_fake_class = 0.5, d_fake_class
  obj = losses.build(cfg)
  r, f = np.array([1.0, -0.5]), np.array([0.2, -1.0])
  cr = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
  cf = np.array([[0.5, 0.5, 0.0], [1.0, -1.0, 2.0]])
  yr, yf = np.array([0, 2]), np.array([1, 2])
  inputs = GANInputs(real=None, fake=None, real_labels=jnp.asarray(yr),
                     fake_labels=jnp.asarray(yf))
  d, m = obj.d_loss(DOutput(jnp.asarray(r), jnp.asarray(cr)), DOutput(jnp.asarray(f),
                    jnp.asarray(cf)), inputs, {})

  def ce(logits, y):
    return np.mean([np.log(np.exp(l).sum()) - l[t] for l, t in zip(logits, y)])
  ns = np.mean(_softplus(-r)) + np.mean(_softplus(f))
  expected = ns + 0.5 * (ce(cr, yr) + (ce(cf, yf) if d_fake_class else 0.0))
  np.testing.assert_allclose(d, expected, rtol=1e-6)
  np.testing.assert_allclose(m["aux_real"], ce(cr, yr), rtol=1e-6)
  np.testing.assert_allclose(m["aux_acc_real"], 0.5)  # row 0 right (0), row 1 wrong (1 != 2)
  g, gm = obj.g_loss(DOutput(jnp.asarray(f), jnp.asarray(cf)), inputs, {})
  np.testing.assert_allclose(g, np.mean(_softplus(-f)) + 0.5 * ce(cf, yf), rtol=1e-6)
  np.testing.assert_allclose(gm["g_aux"], ce(cf, yf), rtol=1e-6)


def test_acgan_multi_hot_uses_sigmoid_cross_entropy_and_the_top_k_score(test_config):
  cfg = test_config.loss
  cfg.acgan.weight = 1.0
  obj = losses.build(cfg)
  cl = np.array([[3.0, -2.0, 1.0, 0.0], [0.0, 2.0, -1.0, 1.0]])
  y = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]])
  inputs = GANInputs(real=None, fake=None, real_labels=jnp.asarray(y), fake_labels=jnp.asarray(y))
  out = DOutput(jnp.zeros(2), jnp.asarray(cl))
  _, m = obj.d_loss(out, out, inputs, {})
  p = 1 / (1 + np.exp(-cl))
  bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
  np.testing.assert_allclose(m["aux_real"], bce, rtol=1e-6)
  # row 0: 2 labels on (0, 3); top-2 logits are 0 and 2: half right. row 1: top-1 is 1: right
  np.testing.assert_allclose(m["aux_acc_real"], (0.5 + 1.0) / 2)


def _began_inputs(labels, offset_of_label, a=0.05):
  """Real 2x2 images; D reconstructs a real image as x + a under its own condition, and as
  x + offset_of_label(y) under condition y when asked through the critic."""
  x = jnp.arange(8.0).reshape(2, 2, 2, 1) / 8

  def critic(images, y):
    off = offset_of_label(y).reshape(-1, 1, 1, 1)
    return DOutput(logits=jnp.zeros(len(images)), reconstruction=images + off, target=images)
  real_out = DOutput(jnp.zeros(2), reconstruction=x + a, target=x)
  fake = jnp.zeros_like(x)
  fake_out = DOutput(jnp.zeros(2), reconstruction=fake + 0.3, target=fake)
  inputs = GANInputs(real=x, fake=fake, real_labels=jnp.asarray(labels), critic=critic)
  return real_out, fake_out, inputs


def test_conditional_began_mismatch_term_against_hand_computed_values():
  obj = losses.OBJECTIVES.get("began")(gamma=0.5, lambda_k=0.001, mismatch_weight=2.0,
                                       mismatch_cap=1.5)
  state = {"k": jnp.asarray(0.2)}
  off = lambda y: 0.01 * (1.0 + y)  # noqa: E731  (class 0: error 0.01, class 1: 0.02)
  # labels (0, 1): rolled (1, 0), both pairs differ; L_w = (0.02 + 0.01) / 2
  d, m = obj.d_loss(*_began_inputs([0, 1], off), state)
  l_real, l_fake, l_wrong = 0.05, 0.3, 0.015
  np.testing.assert_allclose(m["L_wrong"], l_wrong, rtol=1e-5)
  np.testing.assert_allclose(d, l_real - 0.2 * l_fake + 2.0 * (1.5 * l_real - l_wrong), rtol=1e-5)
  # a badly reconstructed wrong condition beyond the cap earns nothing more
  d, _ = obj.d_loss(*_began_inputs([0, 1], lambda y: 0.5 + 0 * y), state)
  np.testing.assert_allclose(d, l_real - 0.2 * l_fake, rtol=1e-5)
  # no pair with different conditions: no term
  d, m = obj.d_loss(*_began_inputs([1, 1], off), state)
  np.testing.assert_allclose(d, l_real - 0.2 * l_fake, rtol=1e-5)


def test_conditional_began_cap_never_pays_d_for_worse_real_reconstructions():
  obj = losses.OBJECTIVES.get("began")(gamma=0.5, lambda_k=0.001, mismatch_weight=2.0)
  off = lambda y: 0.01 * (1.0 + y)  # noqa: E731

  def d_loss(a):
    return obj.d_loss(*_began_inputs(jnp.array([0, 1]), off, a), {"k": jnp.asarray(0.0)})[0]
  # L(x) = |a|: its gradient is 1 from L(x) alone (the capped term holds sg(L(x)))
  np.testing.assert_allclose(jax.grad(d_loss)(0.05), 1.0, rtol=1e-5)


def test_multi_hot_labels_with_a_wrong_condition_use_the_next_row_of_the_batch():
  obj = losses.OBJECTIVES.get("began")(gamma=0.5, mismatch_weight=1.0)
  seen = []

  def offset(y):
    seen.append(np.asarray(y))
    return 0.0 * y[:, 0]
  y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
  real_out, fake_out, inputs = _began_inputs(y[:2], offset)
  x3 = jnp.concatenate([inputs.real, inputs.real[:1]])
  inputs = inputs.replace(real=x3, real_labels=jnp.asarray(y), fake=jnp.zeros_like(x3))
  real_out = DOutput(jnp.zeros(3), reconstruction=x3 + 0.05, target=x3)
  fake_out = DOutput(jnp.zeros(3), reconstruction=x3 * 0 + 0.3, target=inputs.fake)
  obj.d_loss(real_out, fake_out, inputs, {"k": jnp.asarray(0.0)})
  np.testing.assert_array_equal(seen[0], np.roll(y, 1, axis=0))


def test_conditional_began_networks_use_the_condition_in_g_and_in_d():
  c = _config("cbegan_shapes").model
  c.began.filters, c.began.code_dim = 4, 8
  cond = Condition("multi_hot", 24)
  g, d = models.build(c, channels=3, image_size=16, condition=cond)
  z = jax.random.uniform(jax.random.PRNGKey(0), (2, 64), minval=-1, maxval=1)
  y1, y2 = jnp.eye(24)[jnp.array([0, 1])], jnp.eye(24)[jnp.array([5, 9])]
  gv = g.init(jax.random.PRNGKey(0), z, y1)
  assert not np.allclose(g.apply(gv, z, y1), g.apply(gv, z, y2))
  x = g.apply(gv, z, y1)
  dv = d.init(jax.random.PRNGKey(1), x, y1)
  assert not np.allclose(d.apply(dv, x, y1).reconstruction, d.apply(dv, x, y2).reconstruction)
  names = str(jax.tree_util.tree_structure(dv["params"]))
  assert "LabelEmbedding" in names  # D embeds the condition at its bottleneck
  # the report's fully connected layer after each concatenation: (z, e) -> z's width in G,
  # (code, e) -> code_dim in D
  assert gv["params"]["condition_fc"]["kernel"].shape == (64 + c.g_label_dim, 64)
  assert dv["params"]["condition_fc"]["kernel"].shape == (8 + c.g_label_dim, 8)
  with pytest.raises(ConfigError, match="no auxiliary classifier"):
    models.build(c, channels=3, image_size=16, condition=cond, aux_classes=24)


def test_acgan_needs_a_conditional_model(test_config):
  from gan_jax.training.build import Experiment
  test_config.loss.acgan.weight = 1.0
  with pytest.raises(ConfigError, match="ACGAN.*model.conditional=True"):
    Experiment(test_config, parallel.make_mesh(1))


def test_grids_and_asked_labels_give_one_row_per_label(test_config):
  from gan_jax.training.build import Experiment
  test_config.model.conditional = True
  exp = Experiment(test_config, parallel.make_mesh(1))
  z, y, cols = exp.sampling.grid_inputs(16, 0)
  assert cols == 8 and list(np.asarray(y)) == [0] * 8 + [1] * 8
  asked = exp.sampling.parse_labels("square,0,square")
  np.testing.assert_array_equal(asked, [1, 0, 1])
  z, y, cols = exp.sampling.grid_inputs(12, 0, asked)
  assert cols == 4 and list(np.asarray(y)) == [1] * 4 + [0] * 4 + [1] * 4
  np.testing.assert_array_equal(z[:4], z[4:8])  # the same noise down each column
  with pytest.raises(ConfigError, match="unknown label 'triangle'.*'disc', 'square'"):
    exp.sampling.parse_labels("triangle")
  test_config.data.name = "synthetic_tags"
  exp = Experiment(test_config, parallel.make_mesh(1))
  np.testing.assert_array_equal(exp.sampling.parse_labels("square,large;bright"),
                                [[1, 0, 1], [0, 1, 0]])
