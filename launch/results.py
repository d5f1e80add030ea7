"""The best result per CPU budget of each model, and the page that reads like a paper's table.

  python launch/results.py list                 # the entries, their commands and budgets
  python launch/results.py run [--only=KEY,...] # trains what is not finished, then the raw G
  python launch/results.py table                # -> docs/RESULTS.md (+ docs/results/*.png)

``--root=DIR`` (default ``runs``) is where the run folders lie, e.g. ``~/gan_jax_runs`` so
that they outlive the checkout; the page shows the commands with the default root.

Each entry is one run of ``gan_jax.main`` under ``<root>/results/<key>``: its command, its budget in
hours of a 2-core CPU, the target it is held to, and the numbers it stands beside (the
reports' and Lucic et al. 2018's, text in this catalogue). Every measured number, the
training time and the sample grid come from the run folder (results.json, the event files,
samples/), and the commit, cores and CPU it ran on from its code.json; entries without a
finished run are listed as not run. ``run`` is resumable: a
finished run is skipped, an interrupted one resumes from its last checkpoint. Entries with
an EMA of G (``raw``) are also evaluated on G's raw weights (``--mode=eval
--config.eval_params=raw``; metrics ``<name>_raw``).
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from gan_jax.runs.provenance import describe_code  # noqa: E402
from gan_jax.runs.run_folder import RunFolder  # noqa: E402

from experiments import ENTRIES  # noqa: E402

BY_KEY = {e["key"]: e for e in ENTRIES}


RUNS = "runs"  # where run folders lie (--root)


def workdir(entry, root=None) -> str:
  return os.path.join(root or RUNS, "results", entry["key"])


def entry_steps(entry) -> int:
  """The entry's training steps as its config file, preset and flags set them now (a preset
  whose steps were raised makes a finished run of the old budget unfinished)."""
  import importlib
  path, _, preset = entry["config"].partition(":")
  module = importlib.import_module("configs." + os.path.basename(path)[:-3])
  config = module.get_config(preset) if preset else module.get_config()
  steps = int(config.num_train_steps)
  for arg in entry["args"]:
    if arg.startswith("--config.num_train_steps="):
      steps = int(arg.split("=", 1)[1])
  return steps


def needs_training(entry, root=None) -> bool:
  """Whether ``run`` must train the entry: its run is not finished (``sweep.finished``), or
  stopped short of the entry's steps."""
  import sweep
  where = workdir(entry, root)
  latest = RunFolder(where).latest_step()
  return not sweep.finished(where) or latest is None or latest < entry_steps(entry)


def needs_raw(entry, root=None) -> bool:
  """Whether the raw G's final evaluation at the run's newest checkpoint is missing."""
  run = RunFolder(workdir(entry, root))
  latest = run.latest_step()
  return bool(entry.get("raw")) and not any(
      r.get("final") and r.get("step") == latest and r.get("evaluator", "").endswith("_raw")
      for r in run.results())


def train_command(entry, python="python", root="runs") -> list[str]:
  """The entry's command; by default as the page shows it (run folders under ``runs/``)."""
  return [python, "-m", "gan_jax.main", f"--config={entry['config']}",
          f"--workdir={workdir(entry, root)}", *entry["args"]]


def raw_command(entry, python="python", root="runs") -> list[str]:
  return train_command(entry, python, root) + ["--mode=eval", "--config.eval_params=raw"]


def train_seconds(series: dict) -> float | None:
  """Training time from the logged rates: each logged point's ``steps_per_sec`` is the rate
  over the steps since the point before (periodic evaluations included, pauses between
  sittings not)."""
  if "steps_per_sec" not in series:
    return None
  steps, rates = series["steps_per_sec"]
  gaps = np.diff(np.concatenate([[0], steps]))
  ok = rates > 0
  return float(np.sum(gaps[ok] / rates[ok]))


def measured(entry) -> dict | None:
  """The entry's numbers from its run folder, or None when it has no finished run."""
  run = RunFolder(workdir(entry))
  if not run.exists():
    return None
  finals, step = run.final_metrics()
  if step is None:
    return None
  series = run.scalars()
  config = run.config()
  out = dict(finals)
  out.update({f"last_{t}": float(series[t][1][-1]) for t in entry.get("scalars", ())
              if t in series})
  out["step"] = step
  out["logged_seconds"] = out["train_seconds"] = train_seconds(series)
  if entry.get("rate"):
    out["periodic_seconds"] = sum(r.get("seconds", 0.0) for r in run.results()
                                  if not r.get("final") and r.get("step", 0) <= step)
    out["train_seconds"] = step / entry["rate"] + out["periodic_seconds"]
  out["eval_seconds"] = sum(r.get("seconds", 0.0) for r in run.final_records().values())
  out["batch"] = config.get("data", {}).get("batch_size")
  out["code"] = describe_code(run.code_sessions())
  out["grid"] = run.latest_grid()
  return out


def _hours(seconds):
  if seconds is None:
    return "?"
  return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def _cell(value):
  return "" if value is None else f"{value:.4g}"


def met(entry, m: dict) -> str:
  """Whether the entry met its target within its budget, from its numbers: ``FID <= x``
  (EMA or raw G), optionally ``, recall >= r``; or ``score s on test and new_test``."""
  within = m["train_seconds"] is not None and m["train_seconds"] <= entry["budget"] * 3600
  target = entry["target"]
  if target.startswith("FID"):
    bound = float(re.match(r"FID <= ([\d.]+)", target).group(1))
    ok = min(v for k, v in m.items() if k in ("fid", "fid_raw")) <= bound
    recall = re.search(r"recall >= ([\d.]+)", target)
    if recall:
      ok = ok and max(m.get("recall", 0), m.get("recall_raw", 0)) >= float(recall.group(1))
  else:
    bound = float(re.match(r"score ([\d.]+)", target).group(1))
    ok = min(m.get("score_test", 0), m.get("score_new_test", 0)) >= bound
  return "yes" if ok and within else ("no (over budget)" if ok else "no")


HEADER = """# Results per CPU budget

The best result this project reaches per budget of a 2-core CPU, beside the reports' numbers
and Lucic et al. 2018's. Produced by `python launch/results.py table` from the runs of
`python launch/results.py run`; each row's command reproduces it. Its training time is what
the budget counts: the steps at the training loop's rate measured alone on both cores,
plus the periodic evaluations, where the entry names that rate (its section says so, beside
the run's own logged time: the queue's runs share the machine); otherwise the run's logged
step rates (periodic evaluations included). The final evaluation is not in it: its time is
the next column. A run still short of its entry's steps (queued, resuming) shows its numbers
at the steps it reached, and "not yet" where the verdict would be. FID on the default
protocol (10,000 samples against the 10,000 test images, Inception-v3 of 2015-12-05); `fid`
from G's EMA where the entry keeps one, `fid_raw` from G's own weights. Shapes scores: the
i-CLEVR report's score over objects (`score_*`) and diversity within a condition
(`diversity_ratio`: generated over real, 1 = as diverse as the real images;
`near_duplicates`: the share of sample pairs closer than a tenth of the real images'
distance).

"""


KEPT = "kept from an earlier sitting"


def kept_rows(path: str) -> dict:
  """The rows of an existing page, by model (first cell): a page gathers runs of several
  sittings or machines, so an entry with no run here keeps its row, marked."""
  if not os.path.exists(path):
    return {}
  rows = {}
  for line in open(path).read().splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if line.startswith("| ") and len(cells) == 10 and cells[3] not in ("met", "not run"):
      rows[cells[0]] = cells
  return rows


def _kept(e, cells) -> str:
  """An earlier sitting's row: its measured cells, its "met" marked as kept (and, where the
  entry's code changed since, as superseded)."""
  mark = cells[3] if cells[3].startswith(KEPT) else f"{KEPT} (commit not recorded)"
  if e.get("superseded") and "superseded" not in mark:
    mark += f"; superseded: {e['superseded']}"
  return "| " + " | ".join([e["what"], cells[1], e["target"], mark, *cells[4:8],
                            e["beside"], cells[9]]) + " |"


def write_table(path="docs/RESULTS.md", keep=True):
  out_dir = os.path.join(os.path.dirname(path), "results")
  kept = kept_rows(path) if keep else {}
  lines = [HEADER, "| model | budget | target | met | steps | training | final eval | "
           "numbers | beside | samples |", "|" + "---|" * 10]
  sections = []
  for e in ENTRIES:
    m = measured(e)
    cmds = [shlex.join(train_command(e))] + ([shlex.join(raw_command(e))] if e.get("raw") else [])
    sections += [f"### {e['what']}", "", *[f"`{c}`" + "  " for c in cmds], "",
                 f"Changed from the report: {e['changes']}.", ""]
    if e.get("note"):
      sections += [f"Time: {e['note']}.", ""]
    if m is None:
      if e["what"] in kept:
        lines.append(_kept(e, kept[e["what"]]))
        sections += [f"Ran at: {KEPT}; its run is not on this machine.", ""]
        continue
      lines.append(f"| {e['what']} | {e['budget']} h | {e['target']} | not run | | | | | "
                   f"{e['beside']} | |")
      continue
    sections += [f"Ran at: {m['code'] or 'not recorded (a run older than code.json)'}.", ""]
    if e.get("rate"):
      sections += [f"Training time as the budget counts it: {m['step']:,} steps at "
                   f"{e['rate']} steps/s, the training loop's logged rate alone on both cores, "
                   f"plus {_hours(m['periodic_seconds'])} of "
                   f"periodic evaluations; the run's own logged time (on the cores it was "
                   f"given, beside other work): {_hours(m['logged_seconds'])}.", ""]
    numbers = ", ".join(f"{k} {_cell(m[k])}" for k in e["metrics"] if k in m)
    links = []
    if m["grid"]:
      os.makedirs(out_dir, exist_ok=True)
      shutil.copyfile(m["grid"], os.path.join(out_dir, f"{e['key']}.png"))
      links.append(f"[grid](results/{e['key']}.png)")
    if e.get("curves"):
      from gan_jax.runs import report
      report.write(workdir(e))
      for c in e["curves"]:
        fig = os.path.join(RunFolder(workdir(e)).report_dir, f"{c}.png")
        if os.path.exists(fig):
          shutil.copyfile(fig, os.path.join(out_dir, f"{e['key']}_{c}.png"))
          links.append(f"[{c}](results/{e['key']}_{c}.png)")
    steps = entry_steps(e)
    verdict = met(e, m) if m["step"] >= steps else f"not yet: {m['step']:,} of {steps:,} steps"
    lines.append(f"| {e['what']} | {e['budget']} h | {e['target']} | {verdict} | {m['step']} "
                 f"| {_hours(m['train_seconds'])} | {_hours(m['eval_seconds'])} | {numbers} | "
                 f"{e['beside']} | {' '.join(links)} |")
  lines += ["", "## Commands and what each changes", "", *sections]
  with open(path, "w") as f:
    f.write("\n".join(lines).rstrip() + "\n")
  return path


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument("action", choices=["list", "run", "table"])
  p.add_argument("--only", default="", help="comma-separated keys")
  p.add_argument("--out", default="docs/RESULTS.md")
  p.add_argument("--root", default="runs", help="where the run folders lie (default: runs)")
  p.add_argument("--fresh", action="store_true",
                 help="table: only this machine's runs (default: entries with no run here keep "
                      "the page's row, marked)")
  a = p.parse_args()
  global RUNS
  RUNS = os.path.abspath(os.path.expanduser(a.root))
  os.chdir(ROOT)
  keys = [k for k in a.only.split(",") if k]
  unknown = [k for k in keys if k not in BY_KEY]
  if unknown:
    sys.exit(f"unknown key(s) {unknown}; known: {sorted(BY_KEY)}")
  chosen = [BY_KEY[k] for k in keys] if keys else ENTRIES
  if a.action == "list":
    for e in chosen:
      print(f"{e['key']}: {e['what']}, {e['budget']} h, {e['target']}\n  "
            f"{shlex.join(train_command(e))}")
  elif a.action == "run":
    for e in chosen:
      if needs_training(e):
        subprocess.run(train_command(e, sys.executable, RUNS), check=True)
      if needs_raw(e):
        subprocess.run(raw_command(e, sys.executable, RUNS), check=True)
  else:
    print(write_table(a.out, keep=not a.fresh))


if __name__ == "__main__":
  main()
