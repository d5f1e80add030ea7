"""The generator of a run's newest checkpoint, for sampling and evaluation: G's arrays only
(its parameters, batch statistics and EMA), read from the training state's checkpoint without
building an optimizer or reading the discriminator's and the optimizers' arrays."""

from gan_jax.generation.parts import Generation
from gan_jax.generation.sampling import GeneratorState
from gan_jax.runs import checkpoints
from gan_jax.runs.run_folder import RunFolder


def restore_generator(gen: Generation, workdir: str,
                      step: int | None = None) -> tuple[GeneratorState, int]:
  """``(state, step)`` of the newest checkpoint in ``workdir`` (or of ``step``); a checkpoint
  of another model is refused naming what differs, an unreadable one is an error (training
  moves it aside, inference never touches it)."""
  ckpt = checkpoints.Checkpointer(RunFolder(workdir).checkpoints, keep=1)  # reads only
  try:
    abstract = {f: getattr(gen.abstract_generator, f) for f in GeneratorState.FIELDS}
    if step is None:
      arrays, step = ckpt.restore(abstract, gen.meta(), fall_back=False, partial=True)
    else:
      arrays = ckpt.restore_step(step, abstract, gen.meta(), partial=True)
  finally:
    ckpt.close()
  return GeneratorState(**arrays), step
