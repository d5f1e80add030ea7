"""Prepares the shapes dataset's TFDS copy ahead of time (gan_jax otherwise prepares it on
first use); a script of its own, so that the builder is registered once, by its module.

  python -m gan_jax.data.prepare_shapes [--data_dir=DIR] [--config=default|small]
"""

from absl import app, flags

flags.DEFINE_string("data_dir", None, "TFDS data dir (default: TFDS's, ~/tensorflow_datasets).")
flags.DEFINE_enum("config", "default", ["default", "small"], "Which size.")


def main(argv):
  del argv
  from gan_jax.data import shapes_builder
  b = shapes_builder.prepare(flags.FLAGS.data_dir, flags.FLAGS.config)
  print(f"{b.info.full_name} prepared in {b.data_dir}: "
        + ", ".join(f"{k} {v.num_examples}" for k, v in b.info.splits.items()))


if __name__ == "__main__":
  app.run(main)
