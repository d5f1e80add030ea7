"""Command line: train (default), sample or evaluate an experiment config.

  python -m gan_jax.main --config=configs/dcgan_mnist.py [--workdir=runs/dcgan_mnist]
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=sample
  python -m gan_jax.main --config=configs/cgan_shapes.py --mode=sample --labels="red circle;blue square,gray triangle"
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=eval
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=interpolate
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=report
  python -m gan_jax.main --config=configs/dcgan_mnist.py --config.model.latent_dim=64

Every error a user can act on ends as one line, ``gan_jax: error: ...``, exit status 1
(2 for a misspelt config key).
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow only runs the input pipeline (gathers, casts, resizes: no oneDNN kernels);
# without this it prints a oneDNN notice that no log level hides.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from absl import app, flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py).",
                                lock_config=True)
flags.DEFINE_string("workdir", None, "Where checkpoints, logs and samples go "
                    "(default: runs/<config file name>).")
flags.DEFINE_enum("mode", "train", ["train", "sample", "eval", "interpolate", "report"],
                  "train (resumes when the workdir has checkpoints), sample (a grid from the newest "
                  "checkpoint), eval (every enabled evaluator's final protocol on the newest "
                  "checkpoint; prints every metric as JSON), or interpolate (latent, pixel and "
                  "condition strips from the newest checkpoint; config.interpolation), or report "
                  "(curves and a markdown summary of the run so far, in <workdir>/report).")
flags.DEFINE_string("labels", "", "--mode=sample: one grid row per label: class indices or "
                    "names (3,7 or Trouser,Bag); multi-hot conditions separated by ';', their "
                    "labels by ',' ('red circle,blue square;gray triangle').")
flags.DEFINE_string("coordinator_address", None, "host:port of process 0 (many-process runs).")
flags.DEFINE_integer("num_processes", None, "Number of processes (many-process runs).")
flags.DEFINE_integer("process_id", None, "This process's index (many-process runs).")
flags.mark_flags_as_required(["config"])


def default_workdir() -> str:
  """runs/<config file name>, or runs/<name>_<preset> for ``--config=<file>.py:<preset>``."""
  path, _, preset = config_flags.get_config_filename(FLAGS["config"]).partition(".py:")
  name = os.path.splitext(os.path.basename(path))[0]
  return os.path.join("runs", f"{name}_{preset}" if preset else name)


def _error(message: str, code: int = 1):
  print(f"gan_jax: error: {message}", file=sys.stderr)
  sys.exit(code)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  from gan_jax import reporting
  reporting.configure_terminal(FLAGS.verbosity)
  from gan_jax import parallel, train
  from gan_jax.data import pipeline
  from gan_jax.errors import GanJaxError
  pipeline.hide_gpus_from_tf()
  parallel.initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  import jax
  logging.info("JAX %s: %d process(es), %d devices (%s)", jax.__version__, jax.process_count(),
               jax.device_count(), jax.devices()[0].platform)
  workdir = FLAGS.workdir or default_workdir()
  try:
    if FLAGS.mode == "train":
      train.train_and_evaluate(FLAGS.config, workdir)
    elif FLAGS.mode == "sample":
      print(train.sample(FLAGS.config, workdir, labels=FLAGS.labels))
    elif FLAGS.mode == "report":
      from gan_jax import report
      print(report.write(workdir))
    elif FLAGS.mode == "interpolate":
      from gan_jax import interpolate
      print("\n".join(interpolate.interpolate(FLAGS.config, workdir)))
    else:
      import json
      print(json.dumps(train.evaluate(FLAGS.config, workdir)))
  except GanJaxError as e:
    logging.error("%s", e)
    _error(str(e))


def _config_arg(argv) -> str | None:
  """The value of ``--config``: ``<file>.py`` or ``<file>.py:<preset>``."""
  for i, a in enumerate(argv):
    if a.startswith("--config="):
      return a.split("=", 1)[1]
    if a == "--config" and i + 1 < len(argv):
      return argv[i + 1]
  return None


def _config_path(argv) -> str | None:
  arg = _config_arg(argv)
  return arg.split(":")[0] if arg else None


def _config_module(path: str):
  """The config file as a module (raises whatever the file raises)."""
  import importlib.util
  spec = importlib.util.spec_from_file_location("_gan_jax_config", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def _make_configs_importable(argv):
  """Experiment files import their base (``from configs import default``): put the folder
  that holds ``configs/`` on the path, so a config runs from any working directory."""
  path = _config_path(argv)
  if path:
    root = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    if root not in sys.path:
      sys.path.insert(0, root)


def _unknown_override(argv) -> str | None:
  """Names the first ``--config.a.b=`` override whose key is not in the config."""
  import re
  path = _config_path(argv)
  if not path:
    return None
  try:
    config = _config_module(path).get_config()
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


def _bad_preset(argv) -> str | None:
  """The config file's own message when ``--config=<file>.py:<preset>`` names no preset."""
  arg = _config_arg(argv) or ""
  path, _, preset = arg.partition(":")
  if not preset:
    return None
  try:
    _config_module(path).get_config(preset)
  except (ValueError, TypeError) as e:  # TypeError: the file takes no preset
    return f"--config={arg}: {e}"
  except Exception:  # the config file itself is broken: let absl's message stand
    return None
  return None


def run():
  _make_configs_importable(sys.argv)
  message = _bad_preset(sys.argv)
  if message:
    _error(message, 2)
  try:
    app.run(main)
  except (AttributeError, KeyError):  # raised by absl while applying --config.* overrides
    message = _unknown_override(sys.argv)
    if message is None:
      raise
    _error(message, 2)


if __name__ == "__main__":
  run()
