"""Command line: train (default), sample, evaluate, interpolate or report an experiment config.

  python -m gan_jax.main --config=configs/dcgan_mnist.py [--workdir=runs/dcgan_mnist]
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=sample
  python -m gan_jax.main --config=configs/cgan_shapes.py --mode=sample --labels="red circle;blue square,gray triangle"
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=eval
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=interpolate
  python -m gan_jax.main --config=configs/dcgan_mnist.py --mode=report
  python -m gan_jax.main --config=configs/dcgan_mnist.py --config.model.latent_dim=64

Every error a user can act on ends as one line, ``gan_jax: error: ...``, exit status 1
(2 for a missing config file, an unknown preset or a misspelt config key).
"""

from absl import app, flags, logging

from gan_jax.cli import boot

PROG = "gan_jax"
FLAGS = flags.FLAGS
boot.define_config_flag()
flags.DEFINE_string("workdir", None, "Where checkpoints, logs and samples go "
                    "(default: runs/<config file name>[_<preset>]).")
flags.DEFINE_enum("mode", "train", ["train", "sample", "eval", "interpolate", "report", "export"],
                  "train (resumes when the workdir has checkpoints), sample (a grid from the newest "
                  "checkpoint), eval (every enabled evaluator's final protocol on the newest "
                  "checkpoint; prints every metric as JSON), or interpolate (latent, pixel and "
                  "condition strips from the newest checkpoint; config.interpolation), or report "
                  "(curves and a markdown summary of the run so far, in <workdir>/report), or "
                  "export (one file with the config and G's weights only, which "
                  "gan_jax.load_run opens; --out names it).")
flags.DEFINE_string("out", "", "--mode=export: the file to write (default: "
                    "<workdir>/generator_step<N>.msgpack).")
flags.DEFINE_string("labels", "", "--mode=sample: one grid row per label: class indices or "
                    "names (3,7 or Trouser,Bag); multi-hot conditions separated by ';', their "
                    "labels by ',' ('red circle,blue square;gray triangle').")
flags.DEFINE_string("coordinator_address", None, "host:port of process 0 (many-process runs).")
flags.DEFINE_integer("num_processes", None, "Number of processes (many-process runs).")
flags.DEFINE_integer("process_id", None, "This process's index (many-process runs).")
flags.mark_flags_as_required(["config"])


def _mode(mode: str, config, workdir: str):
  if mode == "train":
    from gan_jax.training import train
    train.train_and_evaluate(config, workdir)
  elif mode == "sample":
    from gan_jax.inference.grid import sample
    print(sample(config, workdir, labels=FLAGS.labels))
  elif mode == "report":
    from gan_jax.runs import report
    print(report.write(workdir))
  elif mode == "export":
    from gan_jax import trained
    run = trained.load_run(workdir)
    print(run.export(FLAGS.out or run.default_export_path()))
  elif mode == "interpolate":
    from gan_jax.inference.interpolate import interpolate
    print("\n".join(interpolate(config, workdir)))
  else:
    import json

    from gan_jax.inference.evaluate import evaluate
    print(json.dumps(evaluate(config, workdir)))


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  boot.start(FLAGS.verbosity)
  from gan_jax.training import signals
  signals.defer_warning_signal()
  from gan_jax.utils import parallel
  parallel.initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  import jax
  if jax.process_index() != 0:  # progress lines from process 0 only; the others warn
    logging.set_verbosity(logging.WARNING)
  logging.info("JAX %s: %d process(es), %d devices (%s)", jax.__version__, jax.process_count(),
               jax.device_count(), jax.devices()[0].platform)
  workdir = FLAGS.workdir or boot.default_workdir(_config_name())
  boot.guarded(PROG, _mode, FLAGS.mode, FLAGS.config, workdir)


def _config_name() -> str:
  from ml_collections import config_flags
  return config_flags.get_config_filename(FLAGS["config"])


def run():
  boot.run(PROG, main)


if __name__ == "__main__":
  run()
