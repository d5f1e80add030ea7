"""Command line: train (default) or sample from a config.

  python -m gan_jax.main --config=configs/dcgan_mnist.py [--workdir=runs/dcgan_mnist]
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=sample
  python -m gan_jax.main --config=configs/dcgan_mnist.py --config.model.latent_dim=64
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py).",
                                lock_config=True)
flags.DEFINE_string("workdir", None, "Where checkpoints, logs and samples go "
                    "(default: runs/<config file name>).")
flags.DEFINE_enum("mode", "train", ["train", "sample", "eval"],
                  "train (resumes when the workdir has checkpoints), sample (a grid from the newest "
                  "checkpoint), or eval (FID/KID of the newest checkpoint, final protocol).")
flags.DEFINE_string("coordinator_address", None, "host:port of process 0 (many-process runs).")
flags.DEFINE_integer("num_processes", None, "Number of processes (many-process runs).")
flags.DEFINE_integer("process_id", None, "This process's index (many-process runs).")
flags.mark_flags_as_required(["config"])


def default_workdir() -> str:
  name = os.path.splitext(os.path.basename(config_flags.get_config_filename(FLAGS["config"])))[0]
  return os.path.join("runs", name)


class _QuietLibraries:
  """Keeps INFO chatter of checkpointing/XLA internals out of the terminal."""
  NOISY = ("/orbax/", "/jax/_src/", "/clu/metric_writers/async_writer")

  def filter(self, record):
    return record.levelno >= logging.WARNING or not any(p in record.pathname for p in self.NOISY)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  # ABSLHandler forwards records to its python_handler without applying filters.
  logging.get_absl_handler().python_handler.addFilter(_QuietLibraries())
  from gan_jax import input_pipeline, parallel, train
  from gan_jax.errors import GanJaxError
  input_pipeline.hide_gpus_from_tf()
  parallel.initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  import jax
  logging.info("JAX %s: %d process(es), %d devices (%s)", jax.__version__, jax.process_count(),
               jax.device_count(), jax.devices()[0].platform)
  workdir = FLAGS.workdir or default_workdir()
  try:
    if FLAGS.mode == "train":
      train.train_and_evaluate(FLAGS.config, workdir)
    elif FLAGS.mode == "sample":
      print(train.sample(FLAGS.config, workdir))
    else:
      import json
      result = train.evaluate(FLAGS.config, workdir)
      print(json.dumps({k: result[k] for k in ("step", "fid", "kid")}))
  except GanJaxError as e:
    logging.error("%s", e)
    print(f"gan_jax: error: {e}", file=sys.stderr)
    sys.exit(1)


def _unknown_override(argv) -> str | None:
  """Names the first ``--config.a.b=`` override whose key is not in the config."""
  import importlib.util
  import re
  path = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), None)
  if not path:
    return None
  try:
    spec = importlib.util.spec_from_file_location("_gan_jax_config", path.split(":")[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
  except Exception:  # the config file itself is broken: let absl's message stand
    return None
  for arg in argv:
    m = re.match(r"--config\.([^=]+)", arg)
    if not m:
      continue
    node, done = config, []
    for part in m.group(1).split("."):
      if not hasattr(node, "keys") or part not in node:
        where = ".".join(done) or "the config"
        valid = ", ".join(sorted(node.keys())) if hasattr(node, "keys") else "(not a section)"
        return (f"unknown config key {m.group(1)!r}: {where!r} has no field {part!r}. "
                f"Valid keys of {where}: {valid}.")
      node, done = node[part], done + [part]
  return None


def run():
  try:
    app.run(main)
  except (AttributeError, KeyError):  # raised by absl while applying --config.* overrides
    message = _unknown_override(sys.argv)
    if message is None:
      raise
    print(f"gan_jax: error: {message}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
  run()
