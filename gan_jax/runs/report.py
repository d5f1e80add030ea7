"""A run's curves and summary (``--mode=report``), from what the run has written so far: its
TensorBoard scalars, ``results.json``, ``config.json`` and sample grids. Works on a finished
or a running workdir (it reads, never locks or writes anything the run uses).

Writes ``<workdir>/report/``:

* ``losses.png``: D's and G's losses (and D's real / fake parts where logged);
* ``d_outputs.png``: D_x, D_G_z1 (before D's update), D_G_z2 (after), with the 0.5 line
  for the sigmoid losses, whose D outputs are probabilities;
* ``wasserstein.png`` (WGAN's estimate), ``began.png`` (BEGAN's M and k_t), when logged;
* ``<evaluator>.png``: every evaluator's scalars over steps (periodic and final), e.g. FID
  and KID; ``conditional_score_parts.png``: the colour's and the shape's hits and the asked
  objects seen, beside a random judge's;
* ``report.md``: the config's main fields, progress, the final metrics with their protocol,
  the figures, the evaluators' own figures (class histograms) and the last sample grid.
"""

import json
import os

import numpy as np

from gan_jax.runs import run_folder
from gan_jax.runs.run_folder import record_metrics

SIGMOID_LOSSES = ("non_saturating", "minimax")
# conditional_score's split of what it misses: fractions in a figure of their own; the object
# counts in report.md's table only
PARTS = ("attribute_hit_", "object_hit_", "asked_seen_", "chance_attribute_", "chance_object_")
COUNTS = ("unasked_seen_", "objects_seen_", "objects_asked_")


def _figure(path, series: dict, title: str, hline=None, twin: dict | None = None):
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(6, 3.4), dpi=100)
  for name, (s, v) in series.items():
    ax.plot(s, v, label=name, lw=1.2, marker="o" if len(s) < 20 else None, ms=3)
  if hline is not None:
    ax.axhline(hline, color="k", lw=0.8, ls="--", label=f"{hline:g}")
  ax.set_xlabel("step")
  ax.set_title(title, fontsize=10)
  handles, labels = ax.get_legend_handles_labels()
  if twin:
    ax2 = ax.twinx()
    for name, (s, v) in twin.items():
      ax2.plot(s, v, label=name, lw=1.2, color="tab:red")
      ax2.set_ylabel(name)
    h2, l2 = ax2.get_legend_handles_labels()
    handles, labels = handles + h2, labels + l2
  ax.legend(handles, labels, fontsize=8)
  fig.tight_layout()
  os.makedirs(os.path.dirname(path), exist_ok=True)
  fig.savefig(path)
  plt.close(fig)


def _evaluator_series(records) -> dict:
  """``{evaluator: {metric: (steps, values)}}`` of every numeric field over the records."""
  out = {}
  for r in records:
    for k, v in record_metrics(r).items():
      out.setdefault(r["evaluator"], {}).setdefault(k, []).append((r["step"], v))
  return {ev: {k: (np.asarray([s for s, _ in pts]), np.asarray([v for _, v in pts]))
               for k, pts in metrics.items()} for ev, metrics in out.items()}


def write(workdir: str) -> str:
  """Writes the figures and ``report.md`` under ``<workdir>/report``; returns report.md's path."""
  run = run_folder.RunFolder(workdir)
  workdir = run.path
  config = run.config()
  out = run.report_dir
  scalars = run.scalars()
  figures = []

  def fig(name, series, title, **kw):
    series = {k: v for k, v in series.items() if v is not None}
    if series or kw.get("twin"):
      path = os.path.join(out, f"{name}.png")
      _figure(path, series, title, **kw)
      figures.append((title, f"{name}.png"))

  loss_name = config["loss"]["name"]
  fig("losses", {k: scalars.get(k) for k in ("d_loss", "g_loss", "d_loss_real", "d_loss_fake")},
      f"losses ({loss_name})")
  fig("d_outputs", {k: scalars.get(k) for k in ("D_x", "D_G_z1", "D_G_z2")},
      "D_x real; D_G_z1 / D_G_z2 generated, before / after D's update",
      hline=0.5 if loss_name in SIGMOID_LOSSES else None)
  if "wasserstein" in scalars:
    fig("wasserstein", {"wasserstein": scalars["wasserstein"]}, "Wasserstein estimate E[D(x)] - E[D(G(z))]")
  if "M" in scalars:
    fig("began", {"M": scalars["M"]}, "BEGAN: convergence measure M and k_t",
        twin={"k": scalars["k"]} if "k" in scalars else None)
  records = run.results()
  for ev, series in _evaluator_series(records).items():
    parts = {k: v for k, v in series.items() if k.startswith(PARTS)}
    counts = {k: v for k, v in series.items() if k.startswith(COUNTS)}
    fig(ev, {k: v for k, v in series.items() if k not in parts and k not in counts},
        f"{ev} over steps")
    fig(f"{ev}_parts", parts, f"{ev}: what the score misses, over steps")

  # the markdown summary
  model, data = config["model"], config["data"]
  steps_done = max((int(s[-1]) for s, _ in scalars.values() if len(s)), default=0)
  lines = [f"# Run report: {os.path.basename(workdir)}", "",
           f"- workdir: `{workdir}`",
           f"- model: {model['name']} (latent {model['latent_dim']}, G hidden {model['g_hidden']}, "
           f"D hidden {model['d_hidden']}, conditional {model['conditional']})",
           f"- data: {data['name']} at {data['image_size']}px, batch {data['batch_size']}",
           f"- loss: {loss_name}, D steps {config['loss']['d_steps']}; "
           f"G {config['g_optimizer']['name']} lr {config['g_optimizer']['lr']}, "
           f"D {config['d_optimizer']['name']} lr {config['d_optimizer']['lr']}",
           f"- seed {config['seed']}; progress: step {steps_done} of {config['num_train_steps']} "
           f"logged" + (" (finished)" if steps_done >= config["num_train_steps"] else
                        " (running or stopped)"), ""]
  finals = run.final_records()
  if finals:
    lines += ["## Final metrics", "", "| evaluator | step | metric | value |", "|---|---|---|---|"]
    for ev, r in finals.items():
      for k, v in record_metrics(r).items():
        lines.append(f"| {ev} | {r['step']} | {k} | {v:.6g} |")
    lines.append("")
    for ev, r in finals.items():
      lines += [f"<details><summary>{ev} protocol</summary>", "", "```json",
                json.dumps(r.get("protocol", {}), indent=2), "```", "</details>", ""]
  else:
    lines += ["No final evaluation yet.", ""]
  tables = run.parameters()
  if tables:
    lines += ["<details><summary>parameters</summary>", "", "```", tables.rstrip(), "```",
              "</details>", ""]
  if figures:
    lines += ["## Curves", ""] + [f"![{t}]({p})" for t, p in figures] + [""]
  pngs = run.eval_images()
  if pngs:
    lines += ["## Evaluator figures", ""] + [f"![{p}](../evals/{p})" for p in pngs[-4:]] + [""]
  grids = run.grids()
  if grids:
    lines += ["## Last sample grid", "", f"![{grids[-1]}](../samples/{grids[-1]})", ""]
  os.makedirs(out, exist_ok=True)
  path = os.path.join(out, "report.md")
  with open(path, "w") as f:
    f.write("\n".join(lines))
  return path
