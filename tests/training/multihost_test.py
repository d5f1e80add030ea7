"""2 processes x 4 devices (jax.distributed over loopback, gloo) == 1 process x 8 devices."""

import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from helpers import ROOT

from gan_jax.runs import checkpoints
from gan_jax.training import train
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel


@pytest.mark.parametrize("conditional", [False, True], ids=["dcgan", "cdcgan"])
def test_two_processes_of_4_devices_train_what_one_process_of_8_trains(tmp_path, test_config,
                                                                        conditional):
  steps = 4
  common = ["--config=configs/test.py", f"--config.num_train_steps={steps}",
            f"--config.checkpoint_every={steps}", f"--config.sample_every={steps}",
            f"--config.model.conditional={conditional}"]
  multi = str(tmp_path / "2x4")
  r = subprocess.run(
      [sys.executable, "launch/local.py", "--num_processes=2", "--devices_per_process=4", "--",
       *common, f"--workdir={multi}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-4000:]
  assert "process 1 of 2" in r.stderr and "8 global devices" in r.stderr
  assert "(8 per process)" in r.stderr  # each process reads only its half of the batch

  test_config.num_train_steps = steps
  test_config.checkpoint_every = steps
  test_config.model.conditional = conditional
  single = train.train_and_evaluate(test_config, str(tmp_path / "1x8"), parallel.make_mesh(8))

  exp = Experiment(test_config, parallel.make_mesh(8))
  ckpt = checkpoints.Checkpointer(os.path.join(multi, "checkpoints"), 3)
  restored, step = ckpt.restore(exp.abstract_state, exp.meta())
  ckpt.close()
  assert step == steps
  # Same math, other summation order (gloo): Adam can turn that noise, where a gradient is
  # ~0, into a move of at most 2 x lr per step (see train_test); nothing more may differ.
  bound = 2 * test_config.g_optimizer.lr * steps
  single, restored = jax.device_get(single), jax.device_get(restored)
  for a, b in zip(jax.tree.leaves((single.g_params, single.d_params)),
                  jax.tree.leaves((restored.g_params, restored.d_params))):
    assert float(np.max(np.abs(a - b))) <= bound
  assert int(restored.step) == int(single.step) == steps


# Two processes of one device each: process 1 reaches the step 40 s after process 0 (as a
# process compiling on a busier host would), then both run a computation with a collective.
LATE = """
import os, sys, time
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=1"
sys.path.insert(0, {root!r})
import jax, jax.numpy as jnp, numpy as np
pid, address = int(sys.argv[1]), sys.argv[2]
jax.distributed.initialize(address, 2, pid)
from gan_jax.utils import parallel
mesh = parallel.make_mesh()
x = jax.make_array_from_process_local_data(parallel.batch_sharding(mesh),
                                           np.full((1, 4), pid + 1, np.float32))
total = jax.jit(jnp.sum, out_shardings=parallel.replicated(mesh))
if pid == 1:
  time.sleep(40)
parallel.compile_together(total, x, name="the sum")
print(float(total(x)))
"""


def test_a_process_that_reaches_the_first_collective_40s_late_does_not_fail_the_run():
  """Gloo gives up on a peer 30 s late; the step is compiled, then the processes meet at the
  coordination service's barrier (no such limit) before its first collective."""
  sys.path.insert(0, os.path.join(ROOT, "launch"))
  from local import free_port
  address = f"127.0.0.1:{free_port()}"
  procs = [subprocess.Popen([sys.executable, "-c", LATE.format(root=ROOT), str(i), address],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
           for i in range(2)]
  outs = [p.communicate(timeout=240) for p in procs]
  for p, (out, err) in zip(procs, outs):
    assert p.returncode == 0, err[-3000:]
    assert out.split()[-1] == "12.0"  # 4 x 1 + 4 x 2
