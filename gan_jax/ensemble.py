"""Seed ensembles: K seeds of one config trained in one vmapped program (``training.seed_ensemble``).

  python -m gan_jax.ensemble --config=configs/mlp_mnist.py --seeds=0,1,2,3 \\
      [--workdir=runs/mlp_mnist_ensemble] [--config.num_train_steps=2000]

Members are written as ordinary runs, ``<workdir>/seed<s>/``; the stacked state is
checkpointed every ``checkpoint_every`` steps, and the same command resumes a stopped or
killed ensemble exactly.
"""

from absl import app, flags

from gan_jax.cli import boot

PROG = "gan_jax.ensemble"
FLAGS = flags.FLAGS
boot.define_config_flag()
flags.DEFINE_string("workdir", None, "Where the members go (default: "
                    "runs/<config file name>[_<preset>]_ensemble).")
flags.DEFINE_string("seeds", "0,1,2,3", "The members' seeds, comma-separated.")
flags.DEFINE_enum("strategy", "auto", ["auto", "vmap", "unroll"],
                  "How the members share the step: vmap (batched), unroll (K copies of the "
                  "single run's step in one program), auto (unroll for convolutional GANs on "
                  "the CPU, else vmap).")
flags.mark_flags_as_required(["config"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  boot.start(FLAGS.verbosity)
  from gan_jax.training import signals
  signals.defer_warning_signal()
  try:
    seeds = [int(s) for s in FLAGS.seeds.split(",") if s.strip()]
  except ValueError:
    boot.fail(PROG, f"--seeds needs comma-separated integers, got {FLAGS.seeds!r}")
  from ml_collections import config_flags
  from gan_jax.training import seed_ensemble
  workdir = FLAGS.workdir or boot.default_workdir(
      config_flags.get_config_filename(FLAGS["config"]), "ensemble")
  boot.guarded(PROG, seed_ensemble.train, FLAGS.config, workdir, seeds, strategy=FLAGS.strategy)


def run():
  boot.run(PROG, main)


if __name__ == "__main__":
  run()
