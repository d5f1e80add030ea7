"""Evaluate and record: the one way an evaluation's result reaches a run (its results.json,
its figures, its TensorBoard scalars and the terminal), for training, ensembles and
``--mode=eval`` alike."""

import dataclasses

from absl import logging

from gan_jax.runs.run_folder import RunFolder


def evaluate_and_record(evaluator, samples, step: int, final: bool, run: RunFolder,
                        writer=None, label: str = ""):
  """Runs ``evaluator`` on ``samples`` (``evaluators.Samples``) and records the result in
  ``run`` (and ``writer``, the run's event writer, when given); returns the ``EvalResult``."""
  result = evaluator.evaluate(samples, step, final)
  if samples.suffix:
    result = dataclasses.replace(
        result, evaluator=result.evaluator + samples.suffix,
        scalars={k + samples.suffix: v for k, v in result.scalars.items()})
  if writer is not None:
    writer.write_scalars(step, {("final_" if final else "") + k: v
                                for k, v in result.scalars.items()})
    if result.images:
      writer.write_images(step, {f"{evaluator.name}/{k}": v[None]
                                 for k, v in result.images.items()})
  run.save_eval_images(result.evaluator, result.step, result.images)
  run.append_result(result.record())
  logging.info("%sstep %d: %s on %d samples (%.0fs)%s", label, step, result.describe(),
               result.num_samples, result.seconds, " [final]" if final else "")
  return result


def evaluate_all(evaluators, samples, step: int, final: bool, run: RunFolder, writer=None,
                 label: str = "") -> dict:
  """Prepares every one of ``evaluators`` (a missing piece fails before any evaluation
  runs), then runs each on ``samples`` and records its result (as ``evaluate_and_record``);
  returns all their scalars in one dict. The final pass of a training run that was stopped
  during it and ``--mode=eval`` both go through here."""
  for ev in evaluators:
    ev.prepare()
  scalars = {}
  for ev in evaluators:
    scalars.update(evaluate_and_record(ev, samples, step, final, run, writer, label).scalars)
  return scalars
