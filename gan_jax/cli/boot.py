"""The one boot path of every command: the environment (TensorFlow's logging, GPUs hidden
from TensorFlow), the config file checked before absl parses it (a missing file, an unknown
preset, a misspelt ``--config.*`` key: one line each), one-line errors for everything a user
can act on, and the default workdir (``runs/<config file name>[_<preset>][_<suffix>]``)."""

import os
import re
import sys

# TensorFlow only runs the input pipeline (gathers, casts, resizes: no oneDNN kernels);
# without the second it prints a oneDNN notice that no log level hides.
ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def environment():
  for key, value in ENVIRONMENT.items():
    os.environ.setdefault(key, value)


def error_line(prog: str, message: str) -> str:
  """The one line every command ends with on an error a user can act on."""
  return f"{prog}: error: {message}"


def fail(prog: str, message: str, code: int = 1):
  """Ends the command with ``error_line``."""
  print(error_line(prog, message), file=sys.stderr)
  sys.exit(code)


def define_config_flag():
  """``--config=<file>.py[:<preset>]``, locked so an override of a missing key fails."""
  from ml_collections import config_flags
  config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py), "
                                  "optionally with a preset: configs/x.py:cpu.",
                                  lock_config=True)


def config_arg(argv) -> str | None:
  """The value of ``--config``: ``<file>.py`` or ``<file>.py:<preset>``."""
  for i, a in enumerate(argv):
    if a.startswith("--config="):
      return a.split("=", 1)[1]
    if a == "--config" and i + 1 < len(argv):
      return argv[i + 1]
  return None


def default_workdir(config: str, suffix: str = "") -> str:
  """``runs/<config file name>``, ``runs/<name>_<preset>`` for ``<file>.py:<preset>``, with
  ``_<suffix>`` after (``runs/dcgan_mnist_cpu_ensemble``)."""
  path, _, preset = config.partition(".py:")
  name = os.path.splitext(os.path.basename(path))[0]
  return os.path.join("runs", "_".join(p for p in (name, preset, suffix) if p))


def _config_module(path: str):
  """The config file as a module (raises whatever the file raises)."""
  import importlib.util
  spec = importlib.util.spec_from_file_location("_gan_jax_config", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def config_problem(argv) -> str | None:
  """What is wrong with ``--config`` before absl loads it: a missing file, or a preset the
  file does not know. Also puts the folder holding ``configs/`` on the path, so experiment
  files import their base (``from configs import default``) from any working directory."""
  arg = config_arg(argv)
  if not arg:
    return None
  path, _, preset = arg.partition(":")
  if not os.path.isfile(path):
    return (f"--config={arg}: no such config file {path!r} (from {os.getcwd()}); the "
            f"experiments are the files under configs/, e.g. --config=configs/dcgan_mnist.py.")
  root = os.path.dirname(os.path.dirname(os.path.abspath(path)))
  if root not in sys.path:
    sys.path.insert(0, root)
  if preset:
    try:
      _config_module(path).get_config(preset)
    except (ValueError, TypeError) as e:  # TypeError: the file takes no preset
      return f"--config={arg}: {e}"
    except Exception:  # the config file itself is broken: let absl's message stand
      return None
  return None


def unknown_override(argv) -> str | None:
  """Names the first ``--config.a.b=`` override whose key is not in the config."""
  arg = config_arg(argv)
  if not arg:
    return None
  path, _, preset = arg.partition(":")
  try:
    module = _config_module(path)
    config = module.get_config(preset) if preset else module.get_config()
  except Exception:  # the config file itself is broken: let absl's message stand
    return None
  for a in argv:
    m = re.match(r"--config\.([^=]+)", a)
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


def run(prog: str, main):
  """Runs an absl ``main`` after the environment and the config checks."""
  environment()
  from absl import app
  problem = config_problem(sys.argv)
  if problem:
    fail(prog, problem, 2)
  try:
    app.run(main)
  except (AttributeError, KeyError):  # raised by absl while applying --config.* overrides
    message = unknown_override(sys.argv)
    if message is None:
      raise
    fail(prog, message, 2)


def start(verbosity: int):
  """Inside ``main``: the terminal's log format and JAX's persistent compilation cache."""
  from gan_jax.utils import terminal
  terminal.configure_terminal(verbosity)
  compilation_cache()


COMPILATION_CACHE_ENV = "GAN_JAX_COMPILATION_CACHE"
COMPILATION_CACHE_MAX_BYTES = 4 << 30


def compilation_cache_dir(environ=os.environ) -> str | None:
  """Where JAX's persistent compilation cache lives: ``<cache>/xla`` by default (the cache
  folder of the datasets and weights, ``GAN_JAX_CACHE``); ``GAN_JAX_COMPILATION_CACHE`` set to
  a folder moves it, set to ``off`` turns it off (None); without it, JAX's own
  ``JAX_COMPILATION_CACHE_DIR`` is kept where set."""
  where = environ.get(COMPILATION_CACHE_ENV, "").strip()
  if where.lower() in ("off", "0", "false", "no"):
    return None
  where = where or environ.get("JAX_COMPILATION_CACHE_DIR", "").strip()
  from gan_jax.utils import fetch
  return os.path.abspath(os.path.expanduser(where or os.path.join(fetch.default_cache_dir(),
                                                                  "xla")))


def _jax_own_folder(environ) -> bool:
  return (not environ.get(COMPILATION_CACHE_ENV, "").strip()
          and bool(environ.get("JAX_COMPILATION_CACHE_DIR", "").strip()))


def compilation_cache(environ=os.environ) -> str | None:
  """Turns on JAX's persistent compilation cache (``compilation_cache_dir``), so that a second
  start of a config loads its compiled programs instead of compiling them again. gan_jax's
  own folder is bounded (the least recently used programs go first) and shared safely by
  concurrent runs: with a size bound JAX takes a file lock around every read and write and
  keeps an access time beside each program. JAX's own ``JAX_COMPILATION_CACHE_DIR`` is left
  as JAX keeps it, unbounded: other programs write there without access times, and a bounded
  writer's eviction would fail on their entries (every write then warns and is lost).
  Returns the folder."""
  path = compilation_cache_dir(environ)
  if path is None:
    return None
  import jax
  jax.config.update("jax_compilation_cache_dir", path)
  if not _jax_own_folder(environ):
    jax.config.update("jax_compilation_cache_max_size", COMPILATION_CACHE_MAX_BYTES)
  if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in environ:
    # every program compiled for longer than this is kept: the steps, sampling, Inception
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
  return path


def guarded(prog: str, fn, *args, **kwargs):
  """``fn(*args, **kwargs)``; an error a user can act on ends the command in one line, a run
  stopped by a signal exits 128 + the signal's number after saving."""
  from absl import logging

  from gan_jax.training.signals import Stopped
  from gan_jax.utils import disk
  from gan_jax.utils.errors import GanJaxError
  try:
    return fn(*args, **kwargs)
  except Stopped as e:
    sys.exit(e.exit_code)
  except GanJaxError as e:
    from gan_jax.utils.errors import DiskFullError
    if isinstance(e, DiskFullError):
      disk.silence_aftermath()  # the failed writes' threads print nothing more
    else:
      logging.error("%s", e)
    fail(prog, str(e))
  except OSError as e:
    full = disk.explain(e)
    if full is None:
      raise
    logging.error("%s", full)
    fail(prog, full)
