"""The ('data',) device mesh, shardings, and the many-host set-up."""

import os

import jax
import numpy as np
from absl import logging
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from gan_jax.utils.errors import ConfigError


def initialize_distributed(coordinator_address=None, num_processes=None, process_id=None):
  """Starts ``jax.distributed`` when a multi-process launch asks for it.

  Explicit arguments come from ``launch/local.py``; under SLURM (or another
  cluster JAX detects) no arguments are needed.  On CPU the collectives go over
  gloo.  A single-process run does nothing here.
  """
  explicit = coordinator_address is not None and num_processes and num_processes > 1
  in_cluster = "SLURM_JOB_ID" in os.environ and int(os.environ.get("SLURM_NTASKS", "1")) > 1
  if not (explicit or in_cluster):
    return
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  if explicit:
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id)
  else:
    jax.distributed.initialize()
  logging.info("jax.distributed: process %d of %d, %d local / %d global devices",
               jax.process_index(), jax.process_count(),
               jax.local_device_count(), jax.device_count())


def make_mesh(num_devices: int | None = None) -> Mesh:
  """A 1-D ('data',) mesh over all devices, or the first ``num_devices``."""
  devices = jax.devices()
  if num_devices is not None:
    if num_devices > len(devices):
      raise ValueError(f"Asked for {num_devices} devices, only {len(devices)} exist.")
    devices = devices[:num_devices]
  return Mesh(np.asarray(devices), ("data",))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def replicate(tree, mesh: Mesh):
  """Each leaf of ``tree`` (the same values in every process: e.g. computed alike from one
  seed) on every device of ``mesh``, as one global array per leaf."""
  sharding = replicated(mesh)
  return jax.tree.map(lambda x: jax.make_array_from_callback(x.shape, sharding, lambda _: x),
                      tree)


def batch_sharding(mesh: Mesh) -> NamedSharding:
  """Batches are (d_steps, global_batch, ...): the batch axis is split over 'data'."""
  return NamedSharding(mesh, P(None, "data"))


def check_batch_size(global_batch: int, mesh: Mesh):
  n = mesh.devices.size
  if global_batch % n:
    raise ConfigError(
        f"data.batch_size={global_batch} does not divide across the {n} devices of this run. "
        f"Use a multiple of {n} (e.g. --config.data.batch_size={max(n, global_batch // n * n)}), "
        f"or make fewer devices visible (CUDA_VISIBLE_DEVICES, or XLA_FLAGS on CPU).")
  if global_batch % jax.process_count():
    raise ConfigError(f"data.batch_size={global_batch} does not divide across "
                     f"{jax.process_count()} processes.")


def host_local_to_global(local_batch: dict, mesh: Mesh, batch_axis: int = 1) -> dict:
  """Assembles each process's share of the batch into global jax.Arrays, the batch axis
  (``batch_axis``: 1 for (d_steps, B, ...), 2 for an ensemble's (K, d_steps, B, ...)) split
  over 'data'."""
  sharding = NamedSharding(mesh, P(*([None] * batch_axis), "data"))
  def put(x):
    global_shape = list(x.shape)
    global_shape[batch_axis] *= jax.process_count()
    return jax.make_array_from_process_local_data(sharding, x, tuple(global_shape))
  return jax.tree.map(put, local_batch)


def compile_together(fn, *args, name: str, timeout_s: int = 1800):
  """With several processes: ``fn`` (a jitted function) compiled here for ``args``, then every
  process waits for the others at the coordination service's barrier before its first call.
  On CPUs the first collective sets up Gloo, which gives up when a peer is 30 s late; a
  process that compiles slower (a busier host) would otherwise fail the run. jit reuses the
  compiled executable, so the first call that follows runs at once. One process: nothing."""
  if jax.process_count() == 1:
    return
  fn.lower(*args).compile()
  from jax._src import distributed  # the coordination service's client (no public barrier)
  logging.info("Compiled %s; waiting for the other processes", name)
  distributed.global_state.client.wait_at_barrier(f"gan_jax:{name}", timeout_s * 1000)
