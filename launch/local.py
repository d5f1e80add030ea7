"""Starts P cooperating gan_jax processes on this machine (multi-host, emulated).

Each process gets its own D emulated CPU devices; JAX joins them through
``jax.distributed`` on 127.0.0.1 with gloo collectives, exactly as separate
hosts would be joined.  Everything after ``--`` is the gan_jax command line.

  python launch/local.py --num_processes=2 --devices_per_process=4 -- \\
      --config=configs/test.py --workdir=/tmp/gan_jax_2x4

Exit status: 0 when every process succeeded, else the first failure's.
SIGINT/SIGTERM are passed on to every process (each saves its checkpoint shard).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys

from gan_jax.utils.xla_flags import with_host_devices


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--num_processes", type=int, default=2)
  p.add_argument("--devices_per_process", type=int, default=4)
  p.add_argument("--port", type=int, default=0, help="coordinator port (0 = a free one)")
  p.add_argument("gan_jax_args", nargs=argparse.REMAINDER)
  a = p.parse_args()
  args = [x for x in a.gan_jax_args if x != "--"]
  address = f"127.0.0.1:{a.port or free_port()}"
  env = dict(os.environ)
  env["XLA_FLAGS"] = with_host_devices(a.devices_per_process, env.get("XLA_FLAGS", ""))
  env["JAX_PLATFORMS"] = "cpu"
  procs = [subprocess.Popen(
      [sys.executable, "-m", "gan_jax.main", *args, f"--coordinator_address={address}",
       f"--num_processes={a.num_processes}", f"--process_id={i}"], env=env,
      start_new_session=True)  # the terminal's Ctrl-C reaches them once, through forward()
      for i in range(a.num_processes)]

  def forward(signum, frame):
    for proc in procs:
      if proc.poll() is None:
        proc.send_signal(signum)

  signal.signal(signal.SIGINT, forward)
  signal.signal(signal.SIGTERM, forward)
  codes = [proc.wait() for proc in procs]
  bad = [c for c in codes if c]
  sys.exit(bad[0] if bad else 0)


if __name__ == "__main__":
  main()
