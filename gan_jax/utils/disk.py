"""Writes that fail for lack of room: no space, a quota, a read-only or unwritable folder.

``explain(error)`` turns such a failure, wherever it was raised (an orbax save wraps it in
its own errors, sometimes only as text), into one line naming the folder, what was being
written and what is free there; ``check_space`` warns at start-up when a folder cannot hold
what a run will keep in it.
"""

import errno
import os
import re
import shutil

from absl import logging

NO_ROOM = {errno.ENOSPC: "no space left on the device",
           errno.EDQUOT: "the disk quota is exceeded",
           errno.EROFS: "the file system is read-only",
           errno.EACCES: "the folder is not writable"}
_TEXT = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT,
         "Read-only file system": errno.EROFS}


def _mb(n: float) -> str:
  return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} kB"


def _cause(e: BaseException):
  """``(errno, filename)`` of the first room failure in ``e``'s chain, or None."""
  seen = set()
  while e is not None and id(e) not in seen:
    seen.add(id(e))
    if isinstance(e, OSError) and e.errno in NO_ROOM:
      return e.errno, e.filename
    text = str(e)
    for phrase, code in _TEXT.items():
      if phrase in text:
        m = re.search(r"'(/[^']+)'|\"(/[^\"]+)\"", text)
        return code, (m.group(1) or m.group(2)) if m else None
    e = e.__cause__ or e.__context__
  return None


def free_bytes(path: str) -> int | None:
  while path and not os.path.exists(path):
    path = os.path.dirname(path)
  try:
    return shutil.disk_usage(path or ".").free
  except OSError:
    return None


def tree_bytes(path: str) -> int:
  """The bytes of the files under ``path``."""
  total = 0
  for dirpath, _, files in os.walk(path):
    for f in files:
      try:
        total += os.path.getsize(os.path.join(dirpath, f))
      except OSError:
        pass
  return total


def explain(e: BaseException, writing: str = "", folder: str = "",
            needs: int = 0) -> str | None:
  """One line for a write that failed for lack of room, or None for any other error."""
  cause = _cause(e)
  if cause is None:
    return None
  code, filename = cause
  folder = folder or (os.path.dirname(filename) if filename else "")
  what = writing or (f"{os.path.basename(filename)}" if filename else "a file")
  free = free_bytes(folder) if folder else None
  where = f" in {folder}" if folder else ""
  room = f" ({_mb(free)} free there" if free is not None else ""
  if needs:
    room += (", " if room else " (") + f"it needs about {_mb(needs)}"
  room += ")" if room else ""
  fix = ("free space or raise the quota" if code in (errno.ENOSPC, errno.EDQUOT)
         else "make it writable or pass another --workdir")
  return (f"Writing {what}{where} failed: {NO_ROOM[code]}{room}. The newest complete "
          f"checkpoint is kept; {fix}, then run the same command to resume from it.")


def silence_aftermath() -> None:
  """For a command ending on a write that failed for lack of room: orbax's and tensorstore's
  threads may go on printing their share of the failure (tracebacks at thread exit, at garbage
  collection, from asyncio) for seconds after it was said in one line. From here on those go
  nowhere: thread and unraisable exceptions are dropped and file descriptor 2 goes to
  /dev/null, while ``sys.stderr`` keeps the terminal for the command's last line."""
  import logging as std_logging
  import sys
  import threading
  threading.excepthook = lambda args: None
  sys.unraisablehook = lambda unraisable: None
  std_logging.getLogger("asyncio").disabled = True
  sys.stderr.flush()
  terminal = os.dup(2)
  devnull = os.open(os.devnull, os.O_WRONLY)
  os.dup2(devnull, 2)
  os.close(devnull)
  sys.stderr = os.fdopen(terminal, "w", buffering=1)


def check_space(folder: str, needed: int, what: str) -> None:
  """Warns when ``folder`` has less free space than ``needed`` bytes for ``what``."""
  free = free_bytes(folder)
  if free is not None and free < needed:
    logging.warning("%s has %s free, less than the %s %s needs: the run will stop when the "
                    "disk is full (its newest complete checkpoint kept).", folder, _mb(free),
                    _mb(needed), what)
