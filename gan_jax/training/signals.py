"""Stop signals: SIGINT/SIGTERM as a flag that the training loop reads after each step, or, in
phases with nothing to save (evaluations, their preparation) and on a second signal, an
exception that stops the process within seconds."""

import contextlib
import signal

import jax
import numpy as np
from absl import logging


class Interrupted(Exception):
  """A stop signal in a phase that stops at once."""


class StopRequest:
  """SIGINT/SIGTERM set a flag that the loop reads after each step; inside ``at_once()``
  (evaluations, which have nothing to save) and on a second signal they raise
  ``Interrupted`` instead, so the process stops within seconds."""

  def __init__(self):
    self.signum = None
    self._at_once = False
    self._previous = {}

  def __enter__(self):
    for sig in (signal.SIGINT, signal.SIGTERM):
      try:
        self._previous[sig] = signal.signal(sig, self._handle)
      except ValueError:  # not the main thread
        pass
    return self

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)

  def _handle(self, signum, frame):
    name = signal.Signals(signum).name
    if self.signum is not None or self._at_once:
      self.signum = signum
      raise Interrupted(name)
    self.signum = signum
    logging.warning("Received %s: saving a checkpoint and stopping after this step.", name)

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
