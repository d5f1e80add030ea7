"""Errors a user can act on; ``main`` prints their message without a traceback."""


class GanJaxError(Exception):
  """Base of every error whose message says what to do."""


class ConfigError(GanJaxError, ValueError):
  pass


class CheckpointError(GanJaxError):
  pass


class NonFiniteLossError(GanJaxError, FloatingPointError):
  pass
