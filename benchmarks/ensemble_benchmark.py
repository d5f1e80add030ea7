"""K members trained by one vmapped step against K separate runs' steps, in one process on the
same devices, back to back; prints one JSON line.

  python benchmarks/ensemble_benchmark.py --config=configs/mlp_mnist.py --members=4
  python benchmarks/ensemble_benchmark.py --config=configs/dcgan_mnist.py --members=4 \\
      --config.model.g_hidden=32 --config.model.d_hidden=32

``separate``: K states, each stepped by the ordinary jitted step, one after another (what K
runs sharing the machine in turn cost, without their start-up); ``ensemble``: one
``jax.vmap``-ed step over the K stacked states. Both on fixed device-resident batches, timed
after compilation; ``speedup`` is member-steps/s of the ensemble over separate. The start-up
that K separate processes would also pay (imports, compilation, pipeline) is reported as
``compile_s`` of each.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402
from ml_collections import config_flags  # noqa: E402

from gan_jax.training import seed_ensemble  # noqa: E402
from gan_jax.utils import parallel  # noqa: E402

config_flags.DEFINE_config_file("config", "configs/mlp_mnist.py", "Config file.", lock_config=True)
flags.DEFINE_integer("members", 4, "K: members (seeds 0..K-1).")
flags.DEFINE_integer("steps", 30, "Timed steps (each member makes this many).")
flags.DEFINE_integer("warmup", 3, "Untimed steps after compilation.")
flags.DEFINE_string("strategy", "auto", "The ensemble's strategy: auto | vmap | unroll.")
FLAGS = flags.FLAGS


def _batch(exp, config, rng):
  shape = (config.loss.d_steps, config.data.batch_size) + exp.image_shape
  labels = (np.zeros(shape[:2] + (exp.condition.num_classes,), np.float32)
            if exp.condition.kind == "multi_hot" else np.zeros(shape[:2], np.int32))
  return {"image": rng.uniform(-1, 1, shape).astype(np.float32), "label": labels}


def _time(fn, steps, warmup):
  t0 = time.perf_counter()
  out = fn()
  jax.block_until_ready(out)
  compile_s = time.perf_counter() - t0
  for _ in range(warmup):
    out = fn()
  jax.block_until_ready(out)
  t0 = time.perf_counter()
  for _ in range(steps):
    out = fn()
  jax.block_until_ready(out)
  return compile_s, time.perf_counter() - t0


def main(_):
  config = FLAGS.config
  k = FLAGS.members
  ens = seed_ensemble.Ensemble(config, list(range(k)), parallel.make_mesh(), FLAGS.strategy)
  exp = ens.exp
  rng = np.random.default_rng(0)
  locals_ = [_batch(exp, config, rng) for _ in range(k)]

  singles = [exp.init_state() for _ in range(k)]
  batches = [exp.put_batch(b) for b in locals_]

  def separate():
    for i in range(k):
      singles[i], _ = exp.train_step(singles[i], batches[i])
    return singles

  stacked = [ens.init_states()]
  batch = ens.put(jax.tree.map(lambda *xs: np.stack(xs), *locals_))

  def together():
    stacked[0], _ = ens.train_step(stacked[0], batch)
    return stacked[0]

  sep_compile, sep_s = _time(separate, FLAGS.steps, FLAGS.warmup)
  ens_compile, ens_s = _time(together, FLAGS.steps, FLAGS.warmup)
  member_steps = FLAGS.steps * k
  print(json.dumps({
      "jax": jax.__version__, "platform": jax.devices()[0].platform,
      "devices": jax.device_count(), "model": config.model.name, "loss": config.loss.name,
      "latent_dim": config.model.latent_dim, "g_hidden": config.model.g_hidden,
      "d_hidden": config.model.d_hidden, "batch_size": config.data.batch_size,
      "image_size": config.data.image_size, "members": k, "steps": FLAGS.steps,
      "strategy": ens.strategy,
      "separate": {"compile_s": round(sep_compile, 2),
                   "member_steps_per_sec": round(member_steps / sep_s, 2)},
      "ensemble": {"compile_s": round(ens_compile, 2),
                   "member_steps_per_sec": round(member_steps / ens_s, 2)},
      "speedup": round(sep_s / ens_s, 3)}))


if __name__ == "__main__":
  app.run(main)
