"""Times the full GAN step of a config on the current devices; prints one JSON line.

  python benchmarks/step_benchmark.py --config=configs/dcgan_mnist.py \\
      --config.model.latent_dim=100 --config.model.g_hidden=100 --config.model.d_hidden=100

The step is timed after compilation, on a fixed device-resident batch (the
input pipeline is not included; it delivers >1,000 batches/s on CPU).
Compare with ``benchmarks/torch_reference.py`` run back to back.
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

from gan_jax.training.build import Experiment  # noqa: E402
from gan_jax.utils import parallel  # noqa: E402

config_flags.DEFINE_config_file("config", "configs/dcgan_mnist.py", "Config file.", lock_config=True)
flags.DEFINE_integer("steps", 30, "Timed steps.")
flags.DEFINE_integer("warmup", 3, "Untimed steps after compilation.")
FLAGS = flags.FLAGS


def main(_):
  config = FLAGS.config
  mesh = parallel.make_mesh()
  exp = Experiment(config, mesh)
  state = exp.init_state()
  rng = np.random.default_rng(0)
  shape = (config.loss.d_steps, config.data.batch_size) + exp.image_shape
  labels = (np.zeros(shape[:2] + (exp.condition.num_classes,), np.float32)
            if exp.condition.kind == "multi_hot" else np.zeros(shape[:2], np.int32))
  batch = exp.put_batch({"image": rng.uniform(-1, 1, shape).astype(np.float32),
                         "label": labels})
  t0 = time.perf_counter()
  state, m = exp.train_step(state, batch)
  jax.block_until_ready(state)
  compile_s = time.perf_counter() - t0
  for _ in range(FLAGS.warmup):
    state, m = exp.train_step(state, batch)
  jax.block_until_ready(state)
  t0 = time.perf_counter()
  for _ in range(FLAGS.steps):
    state, m = exp.train_step(state, batch)
  jax.block_until_ready(state)
  dt = time.perf_counter() - t0
  print(json.dumps({
      "impl": "gan_jax", "jax": jax.__version__, "platform": jax.devices()[0].platform,
      "devices": jax.device_count(), "model": config.model.name, "loss": config.loss.name,
      "upsample": config.model.dcgan.upsample if config.model.name == "dcgan" else
      (config.model.began.upsample if config.model.name == "began" else ""),
      "compute_dtype": config.model.compute_dtype, "joint_d_pass": config.joint_d_pass,
      "conv_impl": config.model.dcgan.conv_impl, "latent_dim": config.model.latent_dim,
      "hidden": config.model.g_hidden, "batch_size": config.data.batch_size,
      "image_size": config.data.image_size, "d_steps": config.loss.d_steps, "steps": FLAGS.steps,
      "compile_s": round(compile_s, 2), "steps_per_sec": round(FLAGS.steps / dt, 3),
      # generated images per second (one generator update per step), and real images read
      "images_per_sec": round(FLAGS.steps * config.data.batch_size / dt, 1),
      "real_images_per_sec": round(FLAGS.steps * config.data.batch_size
                                   * config.loss.d_steps / dt, 1)}))


if __name__ == "__main__":
  app.run(main)
