"""The shapes dataset (``shapes.py``) as a TFDS dataset, ``gan_jax_shapes``.

Importing this module registers the builder, so once prepared it loads like any TFDS dataset:

  import gan_jax.data.shapes_builder, tensorflow_datasets as tfds
  ds = tfds.load("gan_jax_shapes", split="train")            # or "gan_jax_shapes/small"

Preparing needs no network (every image is drawn here): gan_jax prepares it on first use in
the TFDS data dir (TFDS's default format, so ``tfds.load`` reads it; gan_jax reads by index
from an array_record copy it writes once in its cache), or ahead of time:

  python -m gan_jax.data.prepare_shapes [--data_dir=DIR] [--config=default|small]

Configs: ``default`` (train 18,000 / test 2,000 images, about a minute on 2 CPU cores) and
``small`` (train 4,096 / test 512, for tests). Features: ``image`` (64, 64, 3) uint8,
``label`` (24,) float32 multi-hot, ``objects`` (the rendering parameters: shape, colour,
centre x / y and half-extent in px).
"""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from gan_jax.data import shapes

SEED = 0


@dataclasses.dataclass
class ShapesConfig(tfds.core.BuilderConfig):
  train_size: int = 18000
  test_size: int = 2000


class GanJaxShapes(tfds.core.GeneratorBasedBuilder):
  """1-3 coloured shapes on a plain background, 24 classes, multi-hot labels."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "First version."}
  BUILDER_CONFIGS = [
      ShapesConfig(name="default", description="train 18,000 / test 2,000 images"),
      ShapesConfig(name="small", description="train 4,096 / test 512 images (tests)",
                   train_size=4096, test_size=512),
  ]

  def _info(self):
    return self.dataset_info_from_configs(
        description=shapes.__doc__,
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(shapes.IMAGE_SIZE, shapes.IMAGE_SIZE, 3)),
            "label": tfds.features.Tensor(shape=(shapes.NUM_CLASSES,), dtype=np.float32),
            "objects": tfds.features.Sequence({
                "shape": tfds.features.ClassLabel(names=list(shapes.SHAPES)),
                "colour": tfds.features.ClassLabel(names=list(shapes.COLOUR_NAMES)),
                "x": np.float32, "y": np.float32, "size": np.float32,
            }),
        }),
        supervised_keys=("image", "label"),
        disable_shuffling=True,  # index i is example i of the split
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # nothing to download
    c = self.builder_config
    return {"train": self._generate_examples("train", c.train_size),
            "test": self._generate_examples("test", c.test_size)}

  def _generate_examples(self, split, count):
    for i in range(count):
      ex = shapes.example(SEED, split, i)
      objects = {k: [o[k] for o in ex["objects"]] for k in ("shape", "colour", "x", "y", "size")}
      yield i, {"image": ex["image"], "label": ex["label"], "objects": objects}


def prepare(data_dir: str | None = None, config: str = "default"):
  """Prepares ``gan_jax_shapes/<config>`` in ``data_dir``; returns the builder."""
  builder = tfds.builder(f"gan_jax_shapes/{config}", data_dir=data_dir or None)
  if not builder.is_prepared():
    builder.download_and_prepare()
  return builder
