"""What the terminal shows: one line per log interval (step/total, steps/s, ETA, metrics),
a live progress bar when stderr is a terminal, and no library chatter.

Libraries' INFO records (orbax's dozen lines per checkpoint, JAX's backend probe, clu) are
dropped unless ``--verbosity`` asks for them; warnings and errors always pass.
"""

import contextlib
import logging as std_logging
import os
import sys
import time

from absl import logging

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # gan_jax/


# Library warnings that are advice, not a problem of the run (TFDS suggests OpenCV for its
# image decoding; Pillow decodes the same images).
_ADVICE = ("OpenCV is not installed",)


class _OnlyOwnInfo(std_logging.Filter):
  """INFO and below only from gan_jax's own modules; no library advice."""

  def filter(self, record):
    if record.levelno < std_logging.ERROR and not record.pathname.startswith(PACKAGE_DIR):
      if str(record.msg).startswith(_ADVICE):
        return False
    return record.levelno >= std_logging.WARNING or record.pathname.startswith(PACKAGE_DIR)


class _Formatter(std_logging.Formatter):
  """``HH:MM:SS message``; ``HH:MM:SS WARNING message`` above INFO."""

  def format(self, record):
    when = time.strftime("%H:%M:%S", time.localtime(record.created))
    level = "" if record.levelno <= std_logging.INFO else f" {record.levelname}"
    text = f"{when}{level} {record.getMessage()}"
    if record.exc_info:
      text += "\n" + self.formatException(record.exc_info)
    return text


def configure_terminal(verbosity: int):
  """Short terminal lines; with ``verbosity`` <= 0 the libraries' INFO records are hidden."""
  handler = logging.get_absl_handler().python_handler  # absl forwards records here unfiltered
  handler.setFormatter(_Formatter())
  if verbosity <= 0:
    handler.addFilter(_OnlyOwnInfo())


def _duration(seconds: float) -> str:
  seconds = int(round(seconds))
  h, rem = divmod(seconds, 3600)
  m, s = divmod(rem, 60)
  return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


FIRST = ("d_loss", "g_loss", "D_x", "D_G_z1", "D_G_z2")


def ordered(scalars: dict) -> list[str]:
  """The usual GAN metrics first, then the rest by name."""
  return [k for k in FIRST if k in scalars] + sorted(k for k in scalars if k not in FIRST)


def format_value(v) -> str:
  """A scalar, or a ``(mean, std)`` pair over an ensemble's members as ``mean±std``."""
  if isinstance(v, tuple):
    return f"{format_value(v[0])}±{format_value(v[1])}"
  return f"{v:.4g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3e}"


class Progress:
  """Steps/s and ETA over training time only: time spent in ``paused()`` (evaluations,
  sample grids, checkpoints) is left out of the rate."""

  def __init__(self, start_step: int, total: int, live: bool | None = None):
    self.total = total
    self.live = sys.stderr.isatty() if live is None else live
    self._mark_step = start_step
    self._mark_time = None
    self._paused = 0.0
    self._rate = None
    self._last_bar = 0.0

  @property
  def last_rate(self) -> float | None:
    return self._rate

  def start(self, step: int):
    """Starts the clock after ``step`` (the first step, compiled, has finished)."""
    self._mark_step, self._mark_time, self._paused = step, time.time(), 0.0

  @contextlib.contextmanager
  def paused(self):
    t0 = time.time()
    try:
      yield
    finally:
      self._paused += time.time() - t0

  def rate(self, step: int) -> float | None:
    """Steps/s since the last call (or ``start``); None before the clock started."""
    if self._mark_time is None or step <= self._mark_step:
      return self._rate
    elapsed = time.time() - self._mark_time - self._paused
    self._rate = (step - self._mark_step) / max(elapsed, 1e-9)
    self._mark_step, self._mark_time, self._paused = step, time.time(), 0.0
    return self._rate

  def line(self, step: int, scalars: dict) -> str:
    rate = self.rate(step)
    pct = 100.0 * step / self.total
    head = f"step {step}/{self.total} ({pct:.0f}%)"
    if rate:
      head += f" | {rate:.2f} steps/s | ETA {_duration((self.total - step) / rate)}"
    return head + " | " + " ".join(f"{k} {format_value(scalars[k])}" for k in ordered(scalars))

  def clear_bar(self):
    if self.live:
      sys.stderr.write("\r\033[K")

  def bar(self, step: int):
    """Redraws the live bar at most twice a second (terminals only)."""
    if not self.live or time.time() - self._last_bar < 0.5:
      return
    self._last_bar = time.time()
    width = 30
    done = int(width * step / self.total)
    text = f"[{'#' * done}{'.' * (width - done)}] {step}/{self.total}"
    if self._rate:
      text += f" {self._rate:.2f} steps/s ETA {_duration((self.total - step) / self._rate)}"
    sys.stderr.write("\r\033[K" + text)
    sys.stderr.flush()
