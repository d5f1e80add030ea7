"""gan_jax: GANs in JAX/Flax with numbers you can trust.

``gan_jax.load_run(path)`` opens a trained run (or an exported generator) in Python
(``gan_jax.trained``); importing the package imports nothing else and compiles nothing."""

import os as _os

# XLA:CPU hands convolutions to YNNPACK by default (jax 0.10); on the CPUs measured here its
# convolutions are slower than XLA's Eigen ones: the DCGAN step runs 1.1-1.25x and the
# Inception features 1.08x faster with Eigen (docs/speed.md has the commands). XLA reads XLA_FLAGS when
# its CPU client starts, so this holds when gan_jax is imported before the first computation.
# A user's own choice wins: any mention of the flag in XLA_FLAGS is left as it is
# (``--xla_cpu_experimental_ynn_fusion_type=+individual_convolution`` keeps XLA's default).
# Dots stay with YNNPACK, where they are faster. GPUs ignore the flag.
_YNN_FLAG = "--xla_cpu_experimental_ynn_fusion_type"
_flags = _os.environ.get("XLA_FLAGS", "").strip()
if _YNN_FLAG not in _flags:
  _os.environ["XLA_FLAGS"] = f"{_flags} {_YNN_FLAG}=-individual_convolution".strip()


def load_run(path: str, step: int | None = None, params: str = "ema"):
  """A trained run (a run folder, or a file written by its ``export``) as a
  ``gan_jax.trained.TrainedRun``: ``sample``, ``interpolate``, ``evaluate``, ``export``, and
  ``generator`` / ``variables`` to apply yourself. ``step``: a checkpoint other than the
  newest; ``params``: ``ema`` (G's EMA where the run keeps one) or ``raw``."""
  from gan_jax.trained import load_run as _load_run
  return _load_run(path, step=step, params=params)
