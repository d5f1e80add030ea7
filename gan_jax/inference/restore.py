"""The newest checkpoint of a run, for sampling and evaluation."""

from gan_jax.runs.folder import RunFolder
from gan_jax.training import checkpoints
from gan_jax.training.build import Experiment


def restore_for_inference(exp: Experiment, workdir: str):
  """``(state, step)`` of the newest checkpoint in ``workdir``; an unreadable one is an error
  (training moves it aside, inference never touches it)."""
  ckpt = checkpoints.Checkpointer(RunFolder(workdir).checkpoints, keep=1)  # reads only
  try:
    abstract = (exp.abstract_state_for(len(exp.data.train_source())) if exp.uses_threshold
                else exp.abstract_state)
    return ckpt.restore(abstract, exp.meta(), fall_back=False)
  finally:
    ckpt.close()
