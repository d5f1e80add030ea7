"""Datasets by name (``DATASETS``), their sources, and the step-indexed input pipeline."""

from gan_jax.data import offline, synthetic  # noqa: F401  (register the datasets)
from gan_jax.data.sources import SOURCES, load_split, subset_indices  # noqa: F401
from gan_jax.data.specs import (DATASETS, LABEL_KINDS, RESIZE_METHODS, DatasetSpec,  # noqa: F401
                                DatasetUnavailableError, Split)
