"""Evaluators by name, declared in ``config.evals`` (see ``base.py`` for the protocol)."""

from gan_jax.evaluators import classified, fid  # noqa: F401  (register the evaluators)
from gan_jax.evaluators.base import (EVALUATORS, EvalContext, EvalResult, Evaluator,  # noqa: F401
                                     Samples)


def build_all(evals_cfg, ctx: EvalContext) -> list[Evaluator]:
  """Every evaluator of ``config.evals``, enabled or not, in name order."""
  return [EVALUATORS.get(name)(evals_cfg[name], ctx) for name in sorted(evals_cfg.keys())]
