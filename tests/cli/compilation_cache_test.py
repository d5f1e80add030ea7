"""JAX's persistent compilation cache: on by default in the cache folder, moved or turned off
by GAN_JAX_COMPILATION_CACHE, and read back by a second process."""

import os
import subprocess
import sys

from helpers import ROOT

from gan_jax.cli import boot

PROGRAM = """
import sys, jax
from jax._src import monitoring
from gan_jax.cli import boot
print("DIR", boot.compilation_cache({"GAN_JAX_COMPILATION_CACHE": sys.argv[1]}))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)  # this tiny program too
events = []
monitoring.register_event_listener(lambda name, **kw: events.append(name))
jax.jit(lambda x: (x @ x.T).sum())(jax.numpy.ones((64, 64))).block_until_ready()
print("HIT" if "/jax/compilation_cache/cache_hits" in events else "MISS")
"""


def test_settings(tmp_path, monkeypatch):
  assert boot.compilation_cache_dir({"GAN_JAX_COMPILATION_CACHE": "off"}) is None
  assert boot.compilation_cache_dir({"GAN_JAX_COMPILATION_CACHE": "0"}) is None
  monkeypatch.setenv("GAN_JAX_CACHE", str(tmp_path / "cache"))
  assert boot.compilation_cache_dir({}) == str(tmp_path / "cache" / "xla")
  assert boot.compilation_cache_dir({"JAX_COMPILATION_CACHE_DIR": str(tmp_path / "j")}) == str(
      tmp_path / "j")  # JAX's own setting is kept
  assert boot.compilation_cache_dir({"GAN_JAX_COMPILATION_CACHE": str(tmp_path / "x")}) == str(
      tmp_path / "x")


def test_a_second_process_loads_what_the_first_compiled(tmp_path):
  where = str(tmp_path / "xla")

  def run():
    r = subprocess.run([sys.executable, "-c", PROGRAM, where], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.split()

  assert run() == ["DIR", where, "MISS"]
  assert os.listdir(where)
  assert run() == ["DIR", where, "HIT"]


def test_jax_own_folder_written_without_a_bound_is_shared_without_warnings(tmp_path):
  """JAX_COMPILATION_CACHE_DIR is also written by JAX alone (no size bound, so no access
  times beside its programs); a run there must not try to evict them."""
  where = str(tmp_path / "jax_own")
  env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=where)
  env.pop("GAN_JAX_COMPILATION_CACHE", None)
  plain = ("import jax; jax.config.update('jax_persistent_cache_min_compile_time_secs', 0); "
           "jax.jit(lambda x: (x @ x.T + 1).sum())(jax.numpy.ones((32, 32))).block_until_ready()")
  r = subprocess.run([sys.executable, "-c", plain], env=env, capture_output=True, text=True,
                     timeout=300)
  assert r.returncode == 0 and os.listdir(where), r.stderr[-2000:]
  program = PROGRAM.replace('{"GAN_JAX_COMPILATION_CACHE": sys.argv[1]}', "os.environ")
  r = subprocess.run([sys.executable, "-c", "import os\n" + program, where], cwd=ROOT, env=env,
                     capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
  assert r.stdout.split()[:2] == ["DIR", where]
  assert "Error writing persistent compilation cache" not in r.stderr, r.stderr[-2000:]
