"""Work done once, whoever asks first (``gan_jax.utils.once``), with real processes: several
started together build once and all use the result; a holder killed with -9 mid-work is taken
over; a holder on another host is taken over only when its heartbeat stops."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

from helpers import ROOT

from gan_jax.utils import once

# One process asking for the cache entry: builds it (slowly, so the others arrive during the
# build) unless it is there, through ``once.once``; prints what it found. Each marks its
# arrival in ``arrived/``; the builder starts only when ``together`` have arrived, so that
# the others ask during the build however slowly a loaded machine starts them.
ASK = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    from absl import logging
    logging.set_verbosity(logging.INFO)
    from gan_jax.utils import once
    folder, seconds, together = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    final = os.path.join(folder, "entry")
    arrived = os.path.join(folder, "arrived")

    def build():
      deadline = time.time() + 120
      while len(os.listdir(arrived)) < together and time.time() < deadline:
        time.sleep(0.05)
      with open(os.path.join(folder, "builds.log"), "a") as f:
        f.write(f"{{os.getpid()}}\\n")
      tmp = f"{{final}}.{{os.getpid()}}.tmp"
      os.makedirs(tmp)
      for i in range(4):
        with open(os.path.join(tmp, f"part{{i}}"), "w") as f:
          f.write("x" * 1000)
        time.sleep(seconds / 4)
      once.publish(tmp, final)

    os.makedirs(arrived, exist_ok=True)
    open(os.path.join(arrived, str(os.getpid())), "w").close()
    once.once(lambda: os.path.exists(final), build, os.path.join(folder, "entry.lock"), "the entry")
    print("parts", len(os.listdir(final)))
""")


def _ask(folder, seconds, together=1):
  return subprocess.Popen([sys.executable, "-c", ASK.format(root=ROOT), str(folder), str(seconds),
                           str(together)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_processes_started_together_build_once_and_all_use_it(tmp_path):
  procs = [_ask(tmp_path, 2.0, together=4) for _ in range(4)]
  outs = [p.communicate(timeout=120) for p in procs]
  for p, (out, err) in zip(procs, outs):
    assert p.returncode == 0, err[-2000:]
    assert out.strip() == "parts 4"
  assert len(open(tmp_path / "builds.log").read().split()) == 1
  assert sum("Waiting for host" in err and "to finish the entry" in err for _, err in outs) >= 1
  # no lock, no half entry
  assert sorted(os.listdir(tmp_path)) == ["arrived", "builds.log", "entry"]


def test_a_holder_killed_mid_work_is_taken_over(tmp_path):
  holder = _ask(tmp_path, 600.0)
  lock = tmp_path / "entry.lock"
  for _ in range(600):
    if (tmp_path / "builds.log").exists():
      break
    time.sleep(0.05)
  waiter = _ask(tmp_path, 0.2)
  time.sleep(1.0)
  assert waiter.poll() is None  # waits while the holder works
  holder.send_signal(signal.SIGKILL)
  holder.wait()
  out, err = waiter.communicate(timeout=60)
  assert waiter.returncode == 0, err[-2000:]
  assert out.strip() == "parts 4"
  assert "is gone: taking it over" in err
  assert len(open(tmp_path / "builds.log").read().split()) == 2
  assert not lock.exists()


def _foreign_lock(path, token="t0"):
  with open(path, "w") as f:
    json.dump({"host": "another-" + socket.gethostname(), "pid": 1, "since": "then",
               "token": token}, f)


def test_a_holder_on_another_host_is_alive_while_its_heartbeat_moves(tmp_path):
  path = str(tmp_path / "x.lock")
  _foreign_lock(path)
  beating = threading.Event()

  def beat():
    while not beating.wait(0.1):
      os.utime(path)
  threading.Thread(target=beat, daemon=True).start()
  lock = once.LockFile(path, "x", stale_after=1.0)
  t0 = time.monotonic()
  while time.monotonic() - t0 < 2.5:
    assert lock.try_acquire() is not None  # never taken while the other host beats
    time.sleep(0.1)
  beating.set()  # the other host is lost: its heartbeat stops
  t0 = time.monotonic()
  while lock.try_acquire() is not None:
    assert time.monotonic() - t0 < 5
    time.sleep(0.1)
  assert 0.8 < time.monotonic() - t0  # only after stale_after of this clock
  assert once.read_holder(path)["pid"] == os.getpid()
  lock.release()
  assert not os.path.exists(path)


def test_a_waiter_names_a_holder_whose_record_was_still_being_written(tmp_path, caplog,
                                                                     monkeypatch):
  """The holder creates its lock file, then writes who it is: a waiter that reads the file in
  between (no record) names the holder at its next poll, once the record is there; a holder
  that stays unnamed for two polls is said as "another process"."""
  from absl import logging as absl_logging
  absl_logging.set_verbosity(absl_logging.INFO)
  record = {"host": "h", "pid": 7, "since": "now"}
  for seen, expected in (([{}, record, None], "host h, pid 7, since now"),
                         ([{}, {}, record, None], "another process")):
    lock = once.LockFile(str(tmp_path / "x.lock"), "the entry")
    answers = iter(seen)  # what each poll of the lock file finds (None: the lock is taken)
    monkeypatch.setattr(lock, "try_acquire", lambda: next(answers))
    caplog.clear()
    with caplog.at_level("INFO"):
      lock.acquire(poll=0)
    said = [r.getMessage() for r in caplog.records if "Waiting for" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"Waiting for {expected} to finish"), said


def test_a_fresh_lock_that_appears_during_a_take_over_is_kept(tmp_path):
  """Two waiters judge one holder gone at the same moment; the first takes over and writes
  its own lock; the second's take-over of the old holder must not delete the new lock."""
  path = str(tmp_path / "x.lock")
  _foreign_lock(path, token="fresh")  # what is there now: a new holder's lock
  late = once.LockFile(path, "x")
  late._take_over({"token": "old"})  # the second waiter, acting on the old holder it read
  assert once.read_holder(path)["token"] == "fresh"


def test_publish_keeps_the_first_whole_copy(tmp_path):
  a, b, final = tmp_path / "a", tmp_path / "b", tmp_path / "final"
  for d, text in ((a, "first"), (b, "second")):
    d.mkdir()
    (d / "f").write_text(text)
  assert once.publish(str(a), str(final))
  assert not once.publish(str(b), str(final))
  assert (final / "f").read_text() == "first" and not b.exists()


def test_an_old_lock_file_without_a_record_does_not_hold_anyone_up(tmp_path):
  """An empty lock file untouched for long (as the flock-based cache left them) is free."""
  path = tmp_path / "x.lock"
  path.write_text("")
  old = time.time() - 3600
  os.utime(path, (old, old))
  lock = once.LockFile(str(path), "x")
  assert lock.try_acquire() is None
  lock.release()
