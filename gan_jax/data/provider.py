"""The training dataset as one run sees it, built from the config's ``data`` block alone: its
splits, the training batches (ordered by the run's seed and step) and the reference images
that evaluators compare against, preprocessed as for training."""


from gan_jax.data.load import load_split, subset_indices
from gan_jax.data.specs import DATASETS
from gan_jax.data.source import Source, SubsetSource
from gan_jax.utils.errors import ConfigError


class DataProvider:
  """Reads the ``data`` block's dataset; ``seed`` and ``d_steps`` order the training batches."""

  def __init__(self, data_cfg, *, seed: int = 0, d_steps: int = 1):
    self.cfg = data_cfg.copy_and_resolve_references() if hasattr(
        data_cfg, "copy_and_resolve_references") else data_cfg
    self.seed, self.d_steps = seed, d_steps
    spec = DATASETS.get(data_cfg.name)
    self.spec = spec.resolve(data_cfg) if spec.resolve is not None else spec

  @property
  def channels(self) -> int:
    return self.spec.channels

  def record(self) -> dict:
    """What every evaluation protocol records of the data: name, size and resize."""
    return {"name": self.cfg.name, "image_size": self.cfg.image_size,
            "data_resize": self.cfg.resize}

  def load_split(self, split: str) -> Source:
    d = self.cfg
    s = load_split(d.name, split, source=d.source, tfds_data_dir=d.tfds_data_dir,
                   cache_dir=d.cache_dir, synthetic_size=d.synthetic_size, folder=d.folder,
                   folder_channels=d.folder_channels, skip_unreadable=d.skip_unreadable)
    if s.channels != self.channels:
      raise ConfigError(f"{d.name} images have {s.channels} channels, expected {self.channels}.")
    return s

  def train_source(self) -> Source:
    """What the GAN trains on: the train split, or its seeded random subset of
    ``data.train_subset`` images (``data.train_subset_seed``; the same images for every run
    seed, as a study's fixed subset). Evaluators' references read whole splits."""
    s = self.load_split("train")
    count = self.cfg.get("train_subset", 0)
    if count < 0:
      raise ConfigError(f"data.train_subset must be >= 0 (0: every image), got {count}.")
    if count == 0:
      return s
    if count > len(s):
      raise ConfigError(f"data.train_subset={count} is more than the {len(s)} training images "
                        f"of {self.cfg.name!r}; use 0 for all of them.")
    seed = self.cfg.get("train_subset_seed", 0)
    return SubsetSource(s, subset_indices(len(s), count, seed),
                        f"training on a random subset of {count} of {len(s)} images "
                        f"(data.train_subset_seed {seed})")

  def train_labels(self):
    """The labels of every training image (what generated conditions are drawn from)."""
    return self.train_source().all_labels()

  def train_batches(self, source: Source, start_step: int, num_steps: int, kept=None,
                    epoch: int = 0, epoch_start: int = 0, seed: int | None = None):
    """This process's batches from ``start_step``; their order is a function of ``seed``
    (default: the run's) and the step."""
    from gan_jax.data import pipeline  # TensorFlow: imported when batches are first asked for
    d = self.cfg
    return pipeline.create_train_iterator(
        source, batch_size=d.batch_size, image_size=d.image_size, resize=d.resize,
        seed=self.seed if seed is None else seed, d_steps=self.d_steps, start_step=start_step,
        num_steps=num_steps, prefetch=d.prefetch, crop=d.crop, threads=d.decode_threads,
        processes=d.decode_processes, kept=kept, epoch=epoch, epoch_start=epoch_start,
        fit=d.fit)

  def reference_images(self, split: str, count: int, seed: int):
    """A seeded random subset of ``count`` images of ``split`` (all when count <= 0 or more
    than the split holds), preprocessed as for training, as uint8; and its description."""
    from gan_jax.data import pipeline
    s = self.load_split(split)
    idx = subset_indices(len(s), count, seed)
    d = self.cfg
    what = (f"{s.description}; {len(idx)} of {len(s)} images"
            + (f", random subset seed {seed}" if len(idx) < len(s) else ""))
    return pipeline.images_for_metrics(s, idx, d.image_size, d.resize, d.crop,
                                       d.decode_threads, fit=d.fit,
                                       processes=d.decode_processes), what

  def labelled_reference(self, split: str, count: int, seed: int):
    """``reference_images`` with the images' labels: ``(images, labels, description)``."""
    images, what = self.reference_images(split, count, seed)
    s = self.load_split(split)
    idx = subset_indices(len(s), count, seed)
    return images, s.all_labels()[idx], what
