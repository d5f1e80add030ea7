"""Collects finished runs into tables: every run's config and final results, grouped by the
config fields that vary, mean +- std over seeds.

  python -m gan_jax.collect runs/dcgan_mnist
  python -m gan_jax.collect runs/dcgan_mnist runs/mlp_mnist --metrics=fid,kid \\
      --plot=model.latent_dim:fid:model.g_hidden

A run is a folder holding ``config.json`` (written when training starts); its results are the
newest final record of each evaluator in its ``results.json`` (metric names prefixed by the
evaluator where two evaluators share one). The axes are the config fields whose values differ
between the runs found; ``seed`` (or ``--over``) is averaged over. Writes, beside the first
root unless ``--out`` says otherwise:

* ``runs.csv``: one row per run (its folder, every axis, every metric, the step);
* ``table.csv`` and ``table.md``: one row per point of the other axes, each metric as mean
  and standard deviation (sample std, n - 1) over the runs in it, and n;
* with ``--scalars=M,k_t``: the last logged value of those training scalars, as columns
  ``last_M``, ``last_k_t`` (from the event files);
* with ``--plot=X:METRIC[:LINE]``: ``<METRIC>_vs_<X>.png``, the metric's mean (and std bars)
  against axis X, one line per value of axis LINE (the DCGAN-vs-MLP MNIST study's FID vs
  latent size per hidden size).

Runs without a final result are listed as unfinished and left out of the tables.
"""

import csv
import json
import os

import numpy as np

from gan_jax.runs import run_folder


def find_runs(roots) -> list[run_folder.RunFolder]:
  """Every run folder (a folder holding config.json) under ``roots``."""
  found = []
  for root in roots:
    if not os.path.isdir(root):
      raise FileNotFoundError(f"no such folder: {root}")
    for dirpath, dirnames, filenames in os.walk(root):
      dirnames[:] = sorted(d for d in dirnames if d not in ("checkpoints", "samples", "evals"))
      if "config.json" in filenames:
        found.append(run_folder.RunFolder(dirpath))
  return sorted(found, key=lambda r: r.path)


def flatten(d: dict, prefix: str = "") -> dict:
  out = {}
  for k, v in d.items():
    key = f"{prefix}{k}"
    if isinstance(v, dict):
      out.update(flatten(v, key + "."))
    else:
      out[key] = v
  return out


def load_runs(roots, scalars=()) -> list[dict]:
  """Every run under ``roots``: its folder, flattened config, final metrics (with the last
  logged value of each of ``scalars``) and the step they were measured at."""
  runs = []
  for run in find_runs(roots):
    metrics, step = run.final_metrics()
    if metrics:
      metrics.update(run.last_scalars(scalars))
    runs.append({"workdir": run.path, "config": flatten(run.config()), "metrics": metrics,
                 "step": step})
  return runs


def group_key(v):
  return json.dumps(v, sort_keys=True)


def varying_fields(runs) -> list[str]:
  keys = sorted(set().union(*(r["config"] for r in runs))) if runs else []
  return [k for k in keys if len({group_key(r["config"].get(k)) for r in runs}) > 1]


def collect(runs, over: str = "seed", metrics=None) -> dict:
  """``{"axes", "metrics", "runs" (rows), "groups" (rows with mean/std/n), "unfinished"}``."""
  done = [r for r in runs if r["metrics"]]
  unfinished = [r["workdir"] for r in runs if not r["metrics"]]
  fields = varying_fields(done)
  axes = [f for f in fields if f != over]
  names = metrics or (sorted(set().union(*(r["metrics"] for r in done))) if done else [])
  rows = [{"workdir": r["workdir"], **{f: r["config"].get(f) for f in fields},
           **{m: r["metrics"].get(m) for m in names}, "step": r["step"]} for r in done]
  groups = {}
  for row in rows:
    groups.setdefault(tuple(group_key(row[a]) for a in axes), []).append(row)
  table = []
  for key in sorted(groups, key=lambda k: [_sortable(json.loads(v)) for v in k]):
    members = groups[key]
    out = {a: members[0][a] for a in axes}
    for m in names:
      vals = np.array([r[m] for r in members if r[m] is not None], np.float64)
      out[f"{m}_mean"] = float(vals.mean()) if len(vals) else None
      out[f"{m}_std"] = float(vals.std(ddof=1)) if len(vals) > 1 else (0.0 if len(vals) else None)
    out["n"] = len(members)
    table.append(out)
  return {"axes": axes, "over": over if over in fields else None, "metrics": names,
          "runs": rows, "groups": table, "unfinished": unfinished}


def _sortable(v):
  return (0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0, str(v))


def _fmt(v):
  if v is None:
    return ""
  if isinstance(v, float):
    return f"{v:.4g}"
  return str(v)


def markdown(result) -> str:
  axes, names = result["axes"], result["metrics"]
  head = axes + names + ["n"]
  lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
  for g in result["groups"]:
    cells = [_fmt(g[a]) for a in axes]
    for m in names:
      mean, std = g[f"{m}_mean"], g[f"{m}_std"]
      cells.append("" if mean is None else
                   f"{mean:.4g} ± {std:.2g}" if g["n"] > 1 else f"{mean:.4g}")
    lines.append("| " + " | ".join(cells + [str(g["n"])]) + " |")
  return "\n".join(lines) + "\n"


def write_csv(rows, path):
  if not rows:
    return
  cols = list(rows[0])
  with open(path, "w", newline="") as f:
    w = csv.DictWriter(f, cols)
    w.writeheader()
    for r in rows:
      w.writerow({k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in r.items()})


def plot(result, x: str, metric: str, line: str | None, path: str):
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  for name, what in ((x, "axis"), (line, "axis")):
    if name is not None and name not in result["axes"]:
      raise ValueError(f"--plot: {name!r} is not an axis of these runs ({result['axes']})")
  if metric not in result["metrics"]:
    raise ValueError(f"--plot: {metric!r} is not a metric of these runs ({result['metrics']})")
  lines = {}
  for g in result["groups"]:
    lines.setdefault(group_key(g[line]) if line else "", []).append(g)
  fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
  for key, gs in sorted(lines.items(), key=lambda kv: _sortable(json.loads(kv[0]) if kv[0] else 0)):
    gs = sorted(gs, key=lambda g: _sortable(g[x]))
    xs = [g[x] for g in gs]
    ax.errorbar(xs, [g[f"{metric}_mean"] for g in gs], yerr=[g[f"{metric}_std"] for g in gs],
                marker="o", capsize=3, label=f"{line} = {json.loads(key)}" if line else None)
  ax.set_xlabel(x)
  ax.set_ylabel(metric)
  if line:
    ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)
