"""What a run was trained on: the package's version and git commit, and the machine (the CPU
and the cores the process may use), recorded per session in ``code.json`` and said on the
results pages beside each number."""

import functools
import os
import subprocess


@functools.lru_cache(maxsize=None)
def code_version() -> dict:
  """The package's version and, when it runs from a git checkout, the commit and whether
  tracked files differ from it (``dirty``); ``commit`` is None outside a checkout."""
  from importlib import metadata
  try:
    version = metadata.version("gan_jax")
  except metadata.PackageNotFoundError:
    version = None
  here = os.path.dirname(os.path.abspath(__file__))
  commit, dirty = None, None
  try:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                            text=True, timeout=10).stdout.strip() or None
    if commit:
      status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                              capture_output=True, text=True, timeout=10).stdout
      dirty = bool(status.strip())
  except (OSError, subprocess.SubprocessError):
    pass
  return {"version": version, "commit": commit, "dirty": dirty, **machine()}


def machine() -> dict:
  """The CPU's model name and the cores this process may run on (a run pinned with
  ``taskset`` says so), for the pages that state where a number was measured."""
  cpu = None
  try:
    with open("/proc/cpuinfo") as f:
      cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                 None)
  except OSError:
    pass
  cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
  return {"cpu": cpu, "cores": cores, "cpus": os.cpu_count()}


def describe_code(sessions: list[dict]) -> str:
  """``commit 1a2b3c4 (2 of 2 cores, Intel Xeon ...)`` for a run's sessions, one entry per
  distinct commit and machine; '' when none was recorded."""
  seen = []
  for s in sessions:
    commit = (s.get("commit") or "unknown")[:7] + ("+changes" if s.get("dirty") else "")
    text = f"commit {commit} ({s.get('cores')} of {s.get('cpus')} cores, {s.get('cpu')})"
    if text not in seen:
      seen.append(text)
  return "; ".join(seen)
