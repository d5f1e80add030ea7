"""Trains (once; cached) and reports the classifier of a dataset at a preprocessing.

  python -m gan_jax.classify --dataset=mnist [--image_size=32 --resize=pad] [--cache_dir=DIR]

Prints the classifier's record (recipe, held-out score, path) as JSON. Evaluators that need a
classifier train the same one on first use; this command does it ahead of time.
"""

import json

from absl import flags

from gan_jax.cli import boot

PROG = "gan_jax.classify"

flags.DEFINE_string("dataset", None, "mnist | fashion_mnist | shapes | ... (a data.name).")
flags.DEFINE_integer("image_size", 0, "Input size, as data.image_size (0: 32 for 28px data, "
                     "else the native size).")
flags.DEFINE_string("resize", "", "As data.resize ('' = pad for 28px data, else bilinear).")
flags.DEFINE_integer("crop", 0, "As data.crop.")
flags.DEFINE_enum("fit", "crop", ["crop", "squash", "pad"], "As data.fit.")
flags.DEFINE_string("cache_dir", "", "'' = $GAN_JAX_CACHE or ~/.cache/gan_jax.")
flags.DEFINE_string("tfds_data_dir", "", "As data.tfds_data_dir.")
flags.DEFINE_enum("source", "auto", ["auto", "tfds", "offline"], "As data.source.")
flags.DEFINE_integer("steps", 0, "Training steps (0 = the dataset's recipe).")
flags.DEFINE_string("widths", "", "Widths of the network's stages, e.g. 16,32,64 ('' = the "
                    "recipe's); as evals.<name>.classifier_widths.")
flags.mark_flags_as_required(["dataset"])
FLAGS = flags.FLAGS


def main(argv):
  del argv
  boot.start(FLAGS.verbosity)
  boot.guarded(PROG, _classify)


def _classify():
  import dataclasses

  from gan_jax import classifiers, data
  from gan_jax.utils import fetch
  from gan_jax.utils.errors import GanJaxError
  spec = data.DATASETS.get(FLAGS.dataset)
  if spec.label_kind == "none":
    raise GanJaxError(f"{FLAGS.dataset!r} has no labels to classify.")
  native = spec.native_size or 64
  size = FLAGS.image_size or (32 if native == 28 else native)
  resize = FLAGS.resize or ("pad" if native == 28 and size == 32 else "bilinear")
  recipe = classifiers.RECIPES.get(FLAGS.dataset, classifiers.Recipe())
  if FLAGS.steps:
    recipe = dataclasses.replace(recipe, steps=FLAGS.steps)
  if FLAGS.widths:
    recipe = dataclasses.replace(recipe, widths=classifiers.parse_widths(FLAGS.widths))
  cache = FLAGS.cache_dir or fetch.default_cache_dir()
  clf = classifiers.get(
      FLAGS.dataset, image_size=size, resize=resize, crop=FLAGS.crop, fit=FLAGS.fit,
      cache_dir=cache,
      num_classes=spec.num_classes, recipe=recipe,
      load_split=lambda split: data.load_split(FLAGS.dataset, split, source=FLAGS.source,
                                               tfds_data_dir=FLAGS.tfds_data_dir,
                                               cache_dir=cache))
  print(json.dumps(clf.info, indent=2))


def run():
  boot.run(PROG, main)


if __name__ == "__main__":
  run()
