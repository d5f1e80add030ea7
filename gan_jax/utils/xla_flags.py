"""XLA_FLAGS for a process about to be started with its own number of emulated CPU devices
(``launch/local.py``'s processes, ``tools/first_steps.py``'s runs, the processes tests
start): the caller's flags kept, the device count replaced. Imports nothing but ``os``."""

import os

DEVICE_COUNT = "--xla_force_host_platform_device_count"


def with_host_devices(devices: int, flags: str | None = None) -> str:
  """``flags`` (default: this process's XLA_FLAGS) with ``DEVICE_COUNT`` set to ``devices``:
  an earlier count is dropped, every other flag kept in its order."""
  flags = os.environ.get("XLA_FLAGS", "") if flags is None else flags
  kept = [f for f in flags.split() if not f.startswith(DEVICE_COUNT)]
  return " ".join(kept + [f"{DEVICE_COUNT}={devices}"])
