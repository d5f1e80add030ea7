"""Errors a user can act on; ``main`` prints their message without a traceback."""


class GanJaxError(Exception):
  """Base of every error whose message says what to do."""


class ConfigError(GanJaxError, ValueError):
  pass


class CheckpointError(GanJaxError):
  pass


class NonFiniteLossError(GanJaxError, FloatingPointError):
  pass


class RunFolderBusyError(GanJaxError):
  """Another live process is writing the run folder."""


class DiskFullError(GanJaxError, OSError):
  """A write failed for lack of space, quota or permission."""
