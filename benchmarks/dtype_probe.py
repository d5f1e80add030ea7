"""What this machine's XLA backend does with bfloat16: a matrix product and a DCGAN-sized
convolution (forward and both gradients), float32 against bfloat16, back to back. Prints one
JSON line per figure.

  python benchmarks/dtype_probe.py

On a CPU with AMX (``lscpu``: amx_bf16) XLA's bfloat16 products run several times faster than
float32 while its bfloat16 convolutions do not, which is why ``model.compute_dtype=bfloat16``
does not speed up the convolutional step there (docs/speed.md); on a GPU both use its tensor
cores.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import gan_jax  # noqa: E402,F401  (its XLA flags, as every entry point)
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def timed(fn, *args, repeats=10):
  jax.block_until_ready(fn(*args))
  t0 = time.perf_counter()
  for _ in range(repeats):
    jax.block_until_ready(fn(*args))
  return (time.perf_counter() - t0) / repeats


def main():
  platform = jax.devices()[0].platform
  n = 2048 if platform == "cpu" else 8192
  batch, size, cin, cout = 64, 16, 128, 256   # D's k4 s2 p1 convolution, 16x16 -> 8x8
  conv = lambda x, k: lax.conv_general_dilated(  # noqa: E731
      x, k, (2, 2), ((1, 1), (1, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC"))
  conv_flops = 2 * batch * (size // 2) ** 2 * cout * 16 * cin
  for dtype in (jnp.float32, jnp.bfloat16):
    key = jax.random.PRNGKey(0)
    a = jax.random.normal(key, (n, n), dtype)
    dot = jax.jit(lambda a, b: jnp.dot(a, b, preferred_element_type=jnp.float32))
    x = jax.random.normal(key, (batch, size, size, cin), dtype)
    k = jax.random.normal(key, (4, 4, cin, cout), dtype) * 0.05
    grads = jax.jit(jax.grad(lambda x, k: jnp.sum(conv(x, k).astype(jnp.float32) ** 2),
                             argnums=(0, 1)))
    for name, fn, args, flops in (("matmul", dot, (a, a), 2 * n ** 3),
                                  ("conv_forward", jax.jit(conv), (x, k), conv_flops),
                                  ("conv_forward_backward", grads, (x, k), 3 * conv_flops)):
      dt = timed(fn, *args)
      print(json.dumps({"figure": name, "dtype": jnp.dtype(dtype).name, "platform": platform,
                        "device": jax.devices()[0].device_kind, "jax": jax.__version__,
                        "ms": round(dt * 1e3, 2), "gflops": round(flops / dt / 1e9, 1)}))


if __name__ == "__main__":
  main()
