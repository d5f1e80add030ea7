"""Datasets by name (``DATASETS``), their sources (read by index), and the step-indexed
input pipeline."""

from gan_jax.data import offline, shapes, synthetic  # noqa: F401  (register the datasets)
from gan_jax.data.sources import (SOURCES, RecordSource, folder_spec, load_split,  # noqa: F401
                                  subset_indices)
from gan_jax.data.specs import (DATASETS, LABEL_KINDS, RESIZE_METHODS, ArraySource,  # noqa: F401
                                DatasetSpec, DatasetUnavailableError, Source,
                                UnreadableImageError)
