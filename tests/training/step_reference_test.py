"""One full training step (D update, then G update) against PyTorch's reference loop.

``tests/golden/step_golden.npz`` was made by ``tools/make_step_golden.py`` with torch 2.13:
the same parameters, noise and real batch, the DCGAN tutorial's step under SGD. It shows
that D_G_z1 is measured before and D_G_z2 after the discriminator's update, that the losses
are PyTorch's BCE, that each network gets PyTorch's gradients, and that batch norm keeps
PyTorch's running means.
"""

import os

import jax
import numpy as np
import pytest
from flax import traverse_util

from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from helpers import ROOT

GOLDEN = os.path.join(ROOT, "tests", "golden", "step_golden.npz")
BATCH, SIZE, LR = 16, 32, 0.1


def config_for(test_config, name):
  c = test_config
  c.model.name, c.model.latent_dim, c.model.g_hidden, c.model.d_hidden = name, 8, 8, 8
  c.model.mlp.d_dropout, c.model.mlp.d_slope = 0.0, 0.01
  c.data.batch_size = BATCH
  for opt in (c.g_optimizer, c.d_optimizer):
    opt.name, opt.lr = "sgd", LR
  return c


def tree_from(golden, prefix):
  flat = {tuple(k[len(prefix):].split("/")): golden[k] for k in golden
          if k.startswith(prefix) and not k.endswith("running_mean")}
  return traverse_util.unflatten_dict(flat)


@pytest.mark.parametrize("name", ["dcgan", "mlp"])
def test_one_step_equals_pytorchs_reference_step(test_config, name):
  golden = dict(np.load(GOLDEN))
  exp = Experiment(config_for(test_config, name), parallel.make_mesh(1))
  state = exp.init_state()
  state = state.replace(rng=golden[f"{name}/rng"],
                        g_params=tree_from(golden, f"{name}/g/"), d_params=tree_from(golden, f"{name}/d/"))
  # the step draws exactly the golden noise from its rng
  z_key, _ = jax.random.split(jax.random.fold_in(state.rng, 0))
  np.testing.assert_array_equal(exp.sampler.draw(jax.random.fold_in(z_key, 0), BATCH)[0],
                                golden[f"{name}/z"])
  batch = {"image": golden[f"{name}/real"][None], "label": np.zeros((1, BATCH), np.int32)}
  with jax.default_matmul_precision("highest"):
    new, metrics = exp.train_step(state, exp.put_batch(batch))
  new, metrics = jax.device_get((new, metrics))
  for k in ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "D_x", "D_G_z1", "D_G_z2"):
    np.testing.assert_allclose(metrics[k], golden[f"{name}/out/{k}"], rtol=2e-5, atol=1e-6, err_msg=k)
  # D moved in between: D_G_z2 is the updated D's, ten times closer than the old D's value
  moved = abs(golden[f"{name}/out/D_G_z2"] - golden[f"{name}/out/D_G_z1"])
  assert abs(metrics["D_G_z2"] - golden[f"{name}/out/D_G_z2"]) < 0.1 * moved
  for net in ("g", "d"):
    got = traverse_util.flatten_dict(getattr(new, f"{net}_params"), sep="/")
    before = traverse_util.flatten_dict(getattr(state, f"{net}_params"), sep="/")
    for key, value in got.items():
      want = golden[f"{name}/out/{net}/{key}"]
      # compare the updates (-lr x gradient), relative to the largest of the layer
      step_got, step_want = value - before[key], want - before[key]
      scale = float(np.abs(step_want).max()) + 1e-12
      np.testing.assert_allclose(step_got, step_want, rtol=0, atol=1e-3 * scale, err_msg=f"{net}/{key}")
    stats = traverse_util.flatten_dict(getattr(new, f"{net}_batch_stats"), sep="/")
    for key, value in stats.items():
      if key.endswith("/mean"):
        want = golden[f"{name}/out/{net}/{key[:-len('/mean')]}/running_mean"]
        np.testing.assert_allclose(value, want, rtol=1e-4, atol=1e-6, err_msg=f"{net}/{key}")
