"""The network probe remembers an unreachable host for a while, and only that."""

import os
import socket
import time

from gan_jax.utils import fetch


def test_an_unreachable_host_is_remembered_then_probed_again(tmp_path, monkeypatch):
  calls = []
  answer = [False]
  monkeypatch.setattr(fetch, "_probe", lambda h, p, t: calls.append(h) or answer[0])
  assert not fetch.host_reachable("example.invalid", 443, cache_dir=str(tmp_path))
  assert not fetch.host_reachable("example.invalid", 443, cache_dir=str(tmp_path))
  assert calls == ["example.invalid"]  # the second answer came from the marker
  marker = tmp_path / "network" / "example.invalid_443.unreachable"
  old = time.time() - fetch.UNREACHABLE_RECHECK_S - 1
  os.utime(marker, (old, old))
  answer[0] = True
  assert fetch.host_reachable("example.invalid", 443, cache_dir=str(tmp_path))
  assert len(calls) == 2 and not marker.exists()
  assert fetch.host_reachable("example.invalid", 443, cache_dir=str(tmp_path))
  assert len(calls) == 3  # a reachable host is never remembered


def test_the_real_probe_sees_a_listening_port_and_a_closed_one(tmp_path):
  server = socket.socket()
  server.bind(("127.0.0.1", 0))
  server.listen(1)
  port = server.getsockname()[1]
  try:
    assert fetch.host_reachable("127.0.0.1", port, timeout=2.0, cache_dir=str(tmp_path))
  finally:
    server.close()
  assert not fetch.host_reachable("127.0.0.1", port, timeout=2.0, cache_dir=str(tmp_path))
