"""The evaluator protocol.

Evaluators are declared in the config by name, each with its own block and schedule
(``config.evals.<name>.every`` steps, and ``.final`` at the end of training), built with
explicit arguments (``EvalContext``), and return an ``EvalResult``: named scalars plus the
exact protocol that produced them. The training loop, ``--mode=eval`` and ``results.json``
treat every evaluator alike.
"""

import dataclasses
from typing import Any, Callable

from gan_jax.utils.registry import Registry

# generate(num_samples, seed, batch_size) -> (uint8 images (N, H, W, C), labels or None);
# sample i depends on (seed, i) only, never on the batch size or the device count.
Generate = Callable[[int, int, int], tuple[Any, Any]]


@dataclasses.dataclass(frozen=True)
class Samples:
  """The generator as evaluators see it. ``samples(num, seed, batch_size)`` draws z and the
  labels (``Generate``); ``with_labels(labels, seed, batch_size)`` generates for given
  labels (class indices or multi-hot vectors), z of sample i from (seed, i) alone."""
  draw: Generate
  with_labels: Callable[[Any, int, int], Any]
  suffix: str = ""  # added to the evaluator's and metrics' names ("_raw": a run's raw G
                    # beside its EMA), so both sets of results stand side by side
  # optional: the same samples as ``draw``, one (uint8 images, labels) batch at a time, made
  # when asked for (an evaluator overlaps its work with the sampling)
  stream: Callable[[int, int, int], Any] | None = None

  def __call__(self, num: int, seed: int, batch_size: int):
    return self.draw(num, seed, batch_size)


@dataclasses.dataclass(frozen=True)
class EvalContext:
  """What evaluators are given besides their own block, as explicit arguments."""
  mesh: Any
  data: Any        # data.DataProvider of the training dataset: splits, reference images
                   # (preprocessed as for training), its spec (classes, names, condition lists)
  condition: Any   # models.Condition of the generator
  cache_dir: str   # default cache dir for reference statistics, weights and classifiers

  @property
  def spec(self):
    return self.data.spec

  @property
  def dataset(self) -> dict:
    """name, image_size and data_resize: recorded in every protocol."""
    return self.data.record()


@dataclasses.dataclass
class EvalResult:
  evaluator: str
  step: int
  final: bool
  scalars: dict
  protocol: dict
  seconds: float
  num_samples: int
  details: dict = dataclasses.field(default_factory=dict)  # non-scalar results (JSON)
  images: dict = dataclasses.field(default_factory=dict)   # name -> uint8 (H, W, C) figure

  def record(self) -> dict:
    """One entry of ``results.json``."""
    return {"evaluator": self.evaluator, "step": self.step, "final": self.final,
            **self.scalars, "num_samples": self.num_samples, "seconds": self.seconds,
            **({"details": self.details} if self.details else {}),
            "protocol": self.protocol}

  def describe(self) -> str:
    return ", ".join(f"{k} {v:.5g}" for k, v in self.scalars.items())


class Evaluator:
  """Base of every evaluator; ``every`` and ``final`` come from its config block."""
  name = "evaluator"

  inherits: str | None = None  # a block whose fields this type's blocks default to

  def __init__(self, cfg, ctx: EvalContext, name: str | None = None):
    self.cfg, self.ctx = cfg, ctx
    self.name = name or type(self).name  # the config key; the class's ``name`` is its type
    self.every, self.final = int(cfg.get("every", 0)), bool(cfg.get("final", False))

  @property
  def enabled(self) -> bool:
    return self.every > 0 or self.final

  def prepare(self) -> None:
    """Loads what the evaluation needs (weights, reference data) before training starts, so
    a missing piece fails in seconds, not after hours of training."""

  def evaluate(self, generate: Generate, step: int, final: bool) -> EvalResult:
    raise NotImplementedError


EVALUATORS: Registry[type] = Registry("evaluator (a key of config.evals)")
