"""Stop signals: SIGINT, SIGTERM and SIGUSR1 as a flag that the training loop reads after each
step, or, in phases with nothing to save (evaluations, their preparation), an exception that
stops the process within seconds.

The first signal always ends in a saved checkpoint. Repeats of SIGTERM or SIGUSR1 while it
saves are a scheduler's duplicates (srun and slurmstepd both signal a task at a SLURM time
limit, within the same second) and are ignored; a second SIGINT is a person pressing Ctrl-C
twice and stops at once. A run stopped by a signal exits with 128 + its number (130 for
SIGINT, 143 for SIGTERM, 138 for SIGUSR1, the warning a SLURM job asks for with
``--signal=USR1@<seconds>`` and requeues on), so a sweep or a ``train && collect`` chain
sees that it did not finish."""

import contextlib
import signal

import jax
import numpy as np
from absl import logging


SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)


_EARLY = []  # SIGUSR1 received before a StopRequest was installed


def defer_warning_signal():
  """From the command's start, SIGUSR1 (a scheduler's warning before a time limit, which
  would otherwise kill the process) is recorded instead; the training loop's StopRequest
  takes it over, so the run saves after its first step and exits 138."""
  def record(signum, frame):
    if not _EARLY:
      logging.warning("Received %s while starting: the run saves and stops after its first "
                      "step.", signal.Signals(signum).name)
    _EARLY.append(signum)
  try:
    signal.signal(signal.SIGUSR1, record)
  except ValueError:  # not the main thread
    pass


class Interrupted(Exception):
  """A stop signal in a phase that stops at once."""


class Stopped(Exception):
  """A run stopped by signal ``signum`` after saving: the command exits 128 + signum."""

  def __init__(self, signum: int):
    super().__init__(signal.Signals(signum).name)
    self.signum = signum

  @property
  def exit_code(self) -> int:
    return 128 + self.signum


class StopRequest:
  """SIGINT/SIGTERM/SIGUSR1 set a flag that the loop reads after each step; inside
  ``at_once()`` (evaluations, which have nothing to save) and on a second SIGINT they raise
  ``Interrupted`` instead, so the process stops within seconds. Repeated SIGTERM/SIGUSR1
  are ignored (module docstring)."""

  def __init__(self):
    self.signum = None
    self._at_once = False
    self._previous = {}
    self._repeats = 0

  def __enter__(self):
    if _EARLY and self.signum is None:
      self.signum = _EARLY[0]
    for sig in SIGNALS:
      try:
        self._previous[sig] = signal.signal(sig, self._handle)
      except ValueError:  # not the main thread
        pass
    return self

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      # stopping: a scheduler's repeats between here and the exit change nothing
      stopping = self.signum is not None and sig != signal.SIGINT
      signal.signal(sig, signal.SIG_IGN if stopping else handler)

  def _handle(self, signum, frame):
    name = signal.Signals(signum).name
    if self.signum is not None:
      if signum == signal.SIGINT:  # Ctrl-C again: a person wants it stopped now
        raise Interrupted(name)
      self._repeats += 1
      if self._repeats == 1:
        logging.warning("Received %s again while stopping: ignored, the checkpoint is being "
                        "saved (Ctrl-C stops at once).", name)
      return
    self.signum = signum
    if self._at_once:
      raise Interrupted(name)
    logging.warning("Received %s: saving a checkpoint and stopping after this step.", name)

  def raise_if_stopped(self):
    """Raises ``Stopped`` when a signal stopped the run (after everything was saved)."""
    if self.signum is not None:
      raise Stopped(self.signum)

  @contextlib.contextmanager
  def at_once(self):
    """A phase in which a stop signal stops at once (one already received stops here)."""
    if self.signum is not None:
      raise Interrupted(signal.Signals(self.signum).name)
    previous, self._at_once = self._at_once, True
    try:
      yield
    finally:
      self._at_once = previous

  def requested(self) -> bool:
    flag = self.signum is not None
    if jax.process_count() > 1:  # every process must stop at the same step: a collective
      from jax.experimental import multihost_utils
      flag = bool(np.any(multihost_utils.process_allgather(np.asarray(flag))))
    return flag
