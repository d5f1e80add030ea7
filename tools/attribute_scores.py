"""Which half of a multi-hot condition a conditional generator gets right: for class names of
two words ("red cube": an attribute and an object), the judge's top-k labels of each sample
are split into their words, and each asked object counts a hit on its first word (e.g. the
colour) when one of the top-k labels has it, and on its last word (the shape) likewise. Beside
them the score itself (both words, ``conditional_score``), and each as a judge ranking the
labels at random would give it (``chance_*``: with k labels taken, a word is often among
them by chance). Prints one JSON line.

  python tools/attribute_scores.py RUN [--list=test] [--per=10] [--step=N]
"""

import argparse
import json

import numpy as np

import gan_jax


def split_hits(logits, labels, names):
  first = np.array([n.split()[0] for n in names])
  last = np.array([n.split()[-1] for n in names])
  k = labels.sum(-1).astype(int)
  order = np.argsort(-logits, axis=-1)
  out = {"both": 0, "first": 0, "last": 0, "objects": int(k.sum())}
  for b in range(len(labels)):
    top = set(order[b, :k[b]].tolist())
    for i in np.flatnonzero(labels[b]):
      out["both"] += i in top
      out["first"] += first[i] in {first[j] for j in top}
      out["last"] += last[i] in {last[j] for j in top}
  return out


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument("run")
  p.add_argument("--list", default="test")
  p.add_argument("--per", type=int, default=10, help="samples per condition")
  p.add_argument("--step", type=int, default=None)
  a = p.parse_args()
  run = gan_jax.load_run(a.run, step=a.step)
  ev = {e.name: e for e in run._gen.evaluators(enabled_only=False)}["conditional_score"]
  conds = np.asarray(ev.ctx.spec.condition_lists(a.list), np.float32)
  labels = np.repeat(conds, a.per, axis=0)
  asked = [[run.class_names[i] for i in np.flatnonzero(row)] for row in labels]
  images = run.sample(len(labels), labels=asked, seed=ev.cfg.seed)
  logits = np.asarray(ev.classifier.logits(images))
  hits = split_hits(logits, labels, run.class_names)
  rng = np.random.default_rng(0)  # a judge ranking the labels at random, 20 draws
  chance = [split_hits(rng.normal(size=logits.shape), labels, run.class_names)
            for _ in range(20)]
  print(json.dumps({"run": a.run, "step": run.step, "list": a.list, "samples": len(labels),
                    **{f"score_{w}": round(hits[w] / hits["objects"], 4)
                       for w in ("both", "first", "last")},
                    **{f"chance_{w}": round(float(np.mean([c[w] for c in chance]))
                                            / hits["objects"], 4)
                       for w in ("both", "first", "last")}}))


if __name__ == "__main__":
  main()
