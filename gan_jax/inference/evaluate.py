"""``--mode=eval``: every enabled evaluator's final protocol on the newest checkpoint."""

import ml_collections

from gan_jax.evaluators.record import evaluate_all
from gan_jax.generation.parts import Generation
from gan_jax.generation.restore import restore_generator
from gan_jax.runs.run_folder import RunFolder
from gan_jax.utils.errors import GanJaxError


def evaluate(config: ml_collections.ConfigDict, workdir: str, mesh=None) -> dict:
  """Returns ``{"step": ..., <every metric>: ...}``; each result is recorded in the run
  (results.json, figures) like a final evaluation at the end of training."""
  run = RunFolder(workdir)
  gen = Generation(config, mesh)
  evals = gen.evaluators()
  if not evals:
    raise GanJaxError("No evaluator is enabled: set --config.evals.<name>.final=True "
                      f"(evaluators: {sorted(config.evals.keys())}).")
  with run.writing():  # its results.json has one writer: not beside a run training there
    state, step = restore_generator(gen, run.path)
    return {"step": step, **evaluate_all(evals, gen.sampling.samples(state), step, True, run)}
