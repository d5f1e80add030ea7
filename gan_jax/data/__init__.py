"""Datasets by name (``DATASETS``), their sources (read by index), and the step-indexed
input pipeline."""

from gan_jax.data import (anime, iclevr, image_folder, offline, shapes,  # noqa: F401  (registers)
                          synthetic)
from gan_jax.data.image_folder import folder_spec  # noqa: F401
from gan_jax.data.source import ArraySource, Source, UnreadableImageError  # noqa: F401
from gan_jax.data.load import (SOURCES, RecordSource, load_split, prepared,  # noqa: F401
                               subset_indices)
from gan_jax.data.specs import (DATASETS, FITS, LABEL_KINDS, RESIZE_METHODS,  # noqa: F401
                                DatasetSpec, DatasetUnavailableError)
