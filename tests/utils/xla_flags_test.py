"""gan_jax.utils.xla_flags: a started process gets the caller's XLA flags with its own device
count, whatever count (or none) the caller had."""

from gan_jax.utils.xla_flags import DEVICE_COUNT, with_host_devices


def test_the_count_is_replaced_and_every_other_flag_kept_in_order():
  flags = f"--xla_a=1 {DEVICE_COUNT}=8 --xla_backend_optimization_level=1"
  assert with_host_devices(2, flags) == (
      f"--xla_a=1 --xla_backend_optimization_level=1 {DEVICE_COUNT}=2")
  assert with_host_devices(4, "") == f"{DEVICE_COUNT}=4"


def test_by_default_the_flags_are_this_processs(monkeypatch):
  monkeypatch.setenv("XLA_FLAGS", f"{DEVICE_COUNT}=3 --xla_b=0")
  assert with_host_devices(1) == f"--xla_b=0 {DEVICE_COUNT}=1"
  monkeypatch.delenv("XLA_FLAGS")
  assert with_host_devices(1) == f"{DEVICE_COUNT}=1"
