"""Work done once, whoever asks first; one writer per folder.

Everything the cache holds (prepared datasets, converted Inception weights, trained judges,
reference features) is made by the first process that needs it while the others wait on a
lock file, then read what it made; a run folder is held by the run writing it. Both use one
mechanism, ``LockFile``:

* taking it is creating ``<name>.lock`` with ``O_CREAT | O_EXCL`` (atomic on local file
  systems and on NFSv3 and later), holding the holder's host, pid, the pid's start time and
  since when;
* a daemon thread touches the file every ``heartbeat`` seconds while it is held;
* a holder is gone when it ran on this host and its pid no longer runs (or runs another
  program: the start time differs), which is known at once after a kill -9; or, for a holder
  on another host (an array task, another node of a multi-host job), when the file's mtime
  has not moved for ``stale_after`` seconds of the waiter's own clock (no clock agreement
  between hosts is needed). A waiter then takes the lock over.

What is relied on: atomic exclusive create and atomic rename within one folder, and mtimes
that move when a file is touched. ``flock``/``fcntl`` locks are not used: NFS may ignore
them or lose them when a client dies. The lock only saves repeated work: every result is
written to a temporary name and renamed into place (``publish``), so a reader never sees half
of one and two writers that both ran (a take-over of a holder that was only slow) leave one
whole copy.
"""

import contextlib
import datetime
import json
import os
import shutil
import socket
import threading
import time
import uuid

from absl import logging

HEARTBEAT = 5.0
STALE_AFTER = float(os.environ.get("GAN_JAX_LOCK_STALE_SECONDS", 60))


def _start_time(pid: int) -> str | None:
  """The pid's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
  try:
    with open(f"/proc/{pid}/stat") as f:
      return f.read().rsplit(")", 1)[1].split()[19]
  except (OSError, IndexError):
    return None


def _pid_runs(pid: int, start: str | None) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    pass
  return start is None or _start_time(pid) in (None, start)


def read_holder(path: str) -> dict | None:
  """The holder recorded in lock file ``path`` (None when there is none or it is being
  written)."""
  try:
    with open(path) as f:
      return json.load(f)
  except (OSError, ValueError):
    return None


def describe(holder: dict | None) -> str:
  if not holder:
    return "another process"
  return f"host {holder.get('host')}, pid {holder.get('pid')}, since {holder.get('since')}"


class LockFile:
  """An exclusive lock on ``path`` (a file name ending ``.lock``) held by one process."""

  def __init__(self, path: str, what: str, stale_after: float = STALE_AFTER,
               heartbeat: float = HEARTBEAT):
    self.path = os.path.abspath(path)
    self.what = what
    self.stale_after = stale_after
    self.heartbeat = min(heartbeat, stale_after / 4)
    self.token = uuid.uuid4().hex
    self._stop = threading.Event()
    self._thread = None
    self._seen = {}  # token of a holder -> (its mtime, when this process saw it change)

  # ---- taking and leaving --------------------------------------------------------------

  def try_acquire(self) -> dict | None:
    """Takes the lock if it is free or its holder is gone; returns None when taken, else
    the live holder's record."""
    os.makedirs(os.path.dirname(self.path), exist_ok=True)
    for _ in range(3):
      try:
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
      except FileExistsError:
        holder = read_holder(self.path)
        if self._alive(holder):
          return holder or {}
        self._take_over(holder)
        continue
      pid = os.getpid()
      record = {"host": socket.gethostname(), "pid": pid, "start": _start_time(pid),
                "since": datetime.datetime.now().isoformat(timespec="seconds"),
                "what": self.what, "token": self.token}
      with os.fdopen(fd, "w") as f:
        json.dump(record, f)
      self._thread = threading.Thread(target=self._beat, daemon=True,
                                      name=f"gan_jax lock {os.path.basename(self.path)}")
      self._thread.start()
      return None
    return read_holder(self.path) or {}

  def acquire(self, poll: float = 0.5) -> None:
    """Waits until the lock is taken, saying once what it waits for: who holds it, as soon as
    the holder's record can be read (a lock file being written reads as no record, so a
    holder still unnamed after one more poll is said as "another process")."""
    said, unnamed = False, 0
    while (holder := self.try_acquire()) is not None:
      if not said and (holder or unnamed):
        logging.info("Waiting for %s to finish %s (lock %s)", describe(holder), self.what,
                     self.path)
        said = True
      unnamed += not holder
      time.sleep(poll)

  def release(self) -> None:
    self._stop.set()
    if self._thread is not None:
      self._thread.join()
      self._thread = None
    holder = read_holder(self.path)
    if holder and holder.get("token") == self.token:
      with contextlib.suppress(FileNotFoundError):
        os.remove(self.path)

  @property
  def lost(self) -> bool:
    """Whether the lock file is no longer this holder's (taken over while it was stopped)."""
    holder = read_holder(self.path)
    return holder is not None and holder.get("token") != self.token

  def __enter__(self):
    self.acquire()
    return self

  def __exit__(self, *exc):
    self.release()

  # ---- liveness ------------------------------------------------------------------------

  def _beat(self):
    while not self._stop.wait(self.heartbeat):
      with contextlib.suppress(OSError):
        os.utime(self.path)

  def _alive(self, holder: dict | None) -> bool:
    if holder is None:  # being written this instant, or no record (an older flock-era file)
      mtime = _mtime(self.path)
      if mtime is not None and time.time() - mtime > self.stale_after:
        return False  # no record and untouched for long: nobody holds it
      return self._moving("", mtime)
    if holder.get("host") == socket.gethostname():
      return _pid_runs(int(holder.get("pid", -1)), holder.get("start"))
    return self._moving(holder.get("token", ""), _mtime(self.path))

  def _moving(self, token: str, mtime: float | None) -> bool:
    """Whether the lock's heartbeat has moved within ``stale_after`` s of this clock."""
    if mtime is None:
      return False
    now = time.monotonic()
    seen = self._seen.get(token)
    if seen is None or seen[0] != mtime:
      self._seen[token] = (mtime, now)
      return True
    return now - seen[1] < self.stale_after

  def _take_over(self, holder: dict | None) -> None:
    """Removes a gone holder's lock file (renamed aside first, so a fresh lock that appeared
    meanwhile is put back instead of deleted)."""
    aside = f"{self.path}.{self.token}.gone"
    try:
      os.rename(self.path, aside)
    except FileNotFoundError:
      return
    moved = read_holder(aside)
    if holder is not None and moved is not None and moved.get("token") != holder.get("token"):
      with contextlib.suppress(OSError):
        os.link(aside, self.path)  # a new holder's file: put it back (fails if a third came)
    else:
      logging.warning("%s held the lock %s for %s and is gone: taking it over.",
                      describe(holder).capitalize(), self.path, self.what)
    with contextlib.suppress(OSError):
      os.remove(aside)


def _mtime(path: str) -> float | None:
  try:
    return os.stat(path).st_mtime
  except OSError:
    return None


def live_holder(path: str) -> dict | None:
  """The holder of lock file ``path`` when it is alive, judged from one look (a holder on
  another host by its heartbeat's age on this clock), else None."""
  holder = read_holder(path)
  if holder is None:
    return None
  if holder.get("host") == socket.gethostname():
    return holder if _pid_runs(int(holder.get("pid", -1)), holder.get("start")) else None
  mtime = _mtime(path)
  return holder if mtime is not None and time.time() - mtime < STALE_AFTER else None


def lock_path(cache_dir: str, name: str) -> str:
  """The lock of cache entry ``name`` under ``<cache>/locks/``."""
  safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
  return os.path.join(os.path.abspath(cache_dir), "locks", safe + ".lock")


def once(done, build, lock: str, what: str):
  """``build()`` unless ``done()``; processes asking together build it once: the first
  holds ``lock`` while it builds, the others wait, then find it done. Returns what ``build``
  returned, or None when it was done already."""
  if done():
    return None
  with LockFile(lock, what):
    if done():
      return None
    return build()


def publish(tmp: str, final: str) -> bool:
  """Renames the file or folder ``tmp`` to ``final`` atomically; when ``final`` is already
  there (another writer finished first) keeps that one and removes ``tmp``. Returns whether
  ``tmp`` became ``final``."""
  if os.path.isdir(tmp):
    try:
      os.rename(tmp, final)
      return True
    except OSError:
      if not os.path.exists(final):
        raise
      shutil.rmtree(tmp, ignore_errors=True)
      return False
  os.replace(tmp, final)
  return True


def write_text(path: str, text: str) -> None:
  """Writes ``path`` whole or not at all."""
  tmp = f"{path}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
  with open(tmp, "w") as f:
    f.write(text)
  os.replace(tmp, path)
