"""The judge classifier's training step (``classifiers/net.py``), with its 2x2 pooling as a
reshape and a max (``max_pool2``, what the judges use) and as flax's ``max_pool`` (the
reference, whose gradient XLA:CPU computes by select-and-scatter). Prints one JSON line.

  python benchmarks/judge_benchmark.py [--widths=16,32,64] [--batch_size=128] [--steps=30]
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import flax.linen as nn  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from gan_jax.classifiers import net as judge  # noqa: E402


def step_ms(widths, batch, steps, pool):
  judge.max_pool2, saved = pool, judge.max_pool2
  try:
    model = judge.Net(10, widths)
    x = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (batch, 32, 32, 1)), jnp.float32)
    y = jnp.arange(batch) % 10
    v = model.init(jax.random.PRNGKey(0), x[:2])
    tx = optax.adam(1e-3)

    @jax.jit
    def step(v, opt):
      def loss(p):
        logits, upd = model.apply({"params": p, "batch_stats": v["batch_stats"]}, x, train=True,
                                  mutable=["batch_stats"])
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean(), upd
      (_, upd), g = jax.value_and_grad(loss, has_aux=True)(v["params"])
      u, opt = tx.update(g, opt, v["params"])
      return {"params": optax.apply_updates(v["params"], u), **upd}, opt

    opt = tx.init(v["params"])
    v, opt = jax.block_until_ready(step(v, opt))
    t0 = time.perf_counter()
    for _ in range(steps):
      v, opt = step(v, opt)
    jax.block_until_ready(v)
    return (time.perf_counter() - t0) / steps * 1000
  finally:
    judge.max_pool2 = saved


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--widths", default="16,32,64")
  p.add_argument("--batch_size", type=int, default=128)
  p.add_argument("--steps", type=int, default=30)
  a = p.parse_args()
  widths = judge.parse_widths(a.widths)
  reference = step_ms(widths, a.batch_size, a.steps,
                      lambda x: nn.max_pool(x, (2, 2), (2, 2), padding="SAME"))
  ours = step_ms(widths, a.batch_size, a.steps, judge.max_pool2)
  print(json.dumps({"benchmark": "judge_step", "widths": list(widths), "batch_size": a.batch_size,
                    "image_size": 32, "ms_per_step_max_pool": round(reference, 1),
                    "ms_per_step_reshape_max": round(ours, 1),
                    "speedup": round(reference / ours, 2)}))


if __name__ == "__main__":
  main()
