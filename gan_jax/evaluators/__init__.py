"""Evaluators by name, declared in ``config.evals`` (see ``base.py`` for the protocol)."""

from gan_jax.evaluators import (classes, conditions, critic, diversity,  # noqa: F401  (registers)
                                inception_metrics)
from gan_jax.evaluators.base import (EVALUATORS, EvalContext, EvalResult, Evaluator,  # noqa: F401
                                     Samples)


def resolve(evals_cfg) -> dict:
  """``{name: (evaluator class, block)}`` for every block of ``config.evals``, in name order.

  A block's evaluator is ``evals.<name>.type``, the name itself when unset, so two
  evaluators of one type can coexist (``evals.fid_train = {type: "fid", reference_split:
  "train"}``). A type that ``inherits`` a block (FID's Inception settings, for FID and
  intra-class FID) takes the fields its own block leaves unset from it, except its schedule
  (``every``, ``final``: off unless set)."""
  out = {}
  for name in sorted(evals_cfg.keys()):
    block = evals_cfg[name]
    kind = block.get("type", "") or name
    cls = EVALUATORS.get(kind, f"evals.{name}.type")
    base = getattr(cls, "inherits", None)
    if base and base != name and base in evals_cfg:
      merged = evals_cfg[base].copy_and_resolve_references()
      merged.unlock()
      for key in ("every", "final"):
        merged[key] = block.get(key, 0 if key == "every" else False)
      merged.update(block.to_dict() if hasattr(block, "to_dict") else dict(block))
      block = merged
    out[name] = (cls, block)
  return out


def build_all(evals_cfg, ctx: EvalContext) -> list[Evaluator]:
  """Every evaluator of ``config.evals``, enabled or not, in name order."""
  return [cls(block, ctx, name=name) for name, (cls, block) in resolve(evals_cfg).items()]
