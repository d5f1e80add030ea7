"""Orbax's output when a save or restore fails (a full disk, a damaged file): its worker
threads' error logs (the calling thread raises the same error, which ``Checkpointer`` says in
one line) and the aftermath its aborted work prints from other threads and at garbage
collection, both kept off the terminal."""

import contextlib
import gc
import logging as std_logging
import os
import sys
import tempfile
import time
import warnings


class _OrbaxWorkerErrors(std_logging.Filter):
  """Drops orbax's log of a failed write from each of its worker threads (a traceback per
  thread, 3-80 of them for one full disk): the save raises the same error in the calling
  thread, where ``Checkpointer.save`` turns it into one line."""

  def filter(self, record):
    return not (record.levelno >= std_logging.ERROR and "orbax" in record.pathname
                and record.threadName != "MainThread")


WORKER_ERRORS = _OrbaxWorkerErrors()


@contextlib.contextmanager
def held_stderr():
  """Runs the body with the process's stderr held back. A save or restore that fails on a
  full disk or a damaged file leaves orbax/tensorstore writes or reads in flight whose
  callbacks print tracebacks ("Event loop is closed") from their own threads and at garbage
  collection. On failure those are let finish, collected and dropped (the caller says in one
  line what happened); on success the held-back output is written out as it was."""
  sys.stderr.flush()
  saved = os.dup(2)
  failed = False
  with tempfile.TemporaryFile() as held:
    os.dup2(held.fileno(), 2)
    try:
      yield
    except BaseException:
      failed = True
      previous = sys.unraisablehook
      sys.unraisablehook = lambda unraisable: None
      try:
        with warnings.catch_warnings():  # "coroutine ... was never awaited"
          warnings.simplefilter("ignore", RuntimeWarning)
          for _ in range(3):  # the aborted work finishes on its threads, then is collected
            gc.collect()
            time.sleep(0.3)
      finally:
        sys.unraisablehook = previous
      raise
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      if not failed:
        held.seek(0)
        text = held.read()
        if text:
          sys.stderr.write(text.decode(errors="replace"))
