"""The results page: each entry's command and preset exist, and the table reads a finished
run's numbers, training time, grid and curves from its folder."""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT
from PIL import Image

from gan_jax.evaluators.base import EvalResult
from gan_jax.runs.run_folder import RunFolder

sys.path.insert(0, os.path.join(ROOT, "launch"))
import results  # noqa: E402


@pytest.mark.parametrize("entry", results.ENTRIES, ids=lambda e: e["key"])
def test_every_entry_names_a_config_preset_and_flags_that_exist(entry):
  path, _, preset = entry["config"].partition(":")
  module = importlib.import_module("configs." + os.path.basename(path)[:-3])
  config = module.get_config(preset) if preset else module.get_config()
  for arg in entry["args"]:
    node = config
    for part in arg.split("=", 1)[0][len("--config."):].split("."):
      node = node[part]  # a KeyError names a field the config does not have
  cmd = results.raw_command(entry)
  assert cmd[:4] == ["python", "-m", "gan_jax.main", f"--config={entry['config']}"]
  assert cmd[-1] == "--config.eval_params=raw"


def _finished_run(workdir, config, rates, fid, fid_raw=None):
  run = RunFolder(workdir)
  os.makedirs(run.file("samples"))
  run.write_config(config)
  Image.fromarray(np.full((8, 8), 77, np.uint8)).save(
      run.file("samples", f"step_{config.num_train_steps:06d}.png"))
  writer = run.writer()
  for step, rate in rates:
    writer.write_scalars(step, {"steps_per_sec": rate, "wasserstein": 1.0 / step})
  writer.close()
  run.append_result(EvalResult("fid", config.num_train_steps, True, {"fid": fid}, {}, 120.0,
                               16).record())
  if fid_raw is not None:
    run.append_result(EvalResult("fid_raw", config.num_train_steps, True, {"fid_raw": fid_raw},
                                 {}, 60.0, 16).record())


def test_table_reads_numbers_time_grid_and_curves_from_the_runs(test_config, tmp_path,
                                                                monkeypatch):
  fast = dict(key="fast", what="fast model", config="configs/test.py", args=[], budget=1,
              target="FID <= 40", metrics=["fid", "fid_raw", "last_wasserstein"],
              scalars=["wasserstein"], curves=["wasserstein"], raw=True, beside="Lucic: 21.5",
              changes="nothing")
  slow = dict(fast, key="slow", what="slow model", curves=[], raw=False)
  never = dict(fast, key="never", what="never run")
  monkeypatch.setattr(results, "ENTRIES", [fast, slow, never])
  monkeypatch.chdir(tmp_path)
  test_config.num_train_steps = 300
  # 100 steps at 1 step/s, then 200 at 2 steps/s: 200 s of training
  _finished_run(results.workdir(fast), test_config, [(100, 1.0), (300, 2.0)], 45.0, 38.5)
  RunFolder(results.workdir(fast)).record_code(0)
  # 300 steps at 0.04 steps/s: 7500 s, over its 1 h budget though under the target
  _finished_run(results.workdir(slow), test_config, [(300, 0.04)], 30.0)
  out = results.write_table(str(tmp_path / "docs" / "RESULTS.md"))
  text = open(out).read()
  row = {ln.split(" | ")[0][2:]: ln for ln in text.splitlines() if ln.startswith("| ")}
  assert "| yes | 300 | 0 h 03 min | 0 h 03 min |" in row["fast model"]  # fid_raw 38.5 <= 40
  assert "fid 45, fid_raw 38.5, last_wasserstein 0.003333" in row["fast model"]
  assert "[grid](results/fast.png) [wasserstein](results/fast_wasserstein.png)" in row["fast model"]
  assert "| no (over budget) | 300 | 2 h 05 min |" in row["slow model"]
  assert "| not run | | | | | Lucic: 21.5 | |" in row["never run"]
  commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
  assert f"Ran at: commit {commit[:7]}" in text  # the code and machine the run recorded
  assert "Ran at: not recorded" in text  # the slow run has no code.json
  assert np.asarray(Image.open(tmp_path / "docs" / "results" / "fast.png"))[0, 0] == 77
  assert os.path.exists(tmp_path / "docs" / "results" / "fast_wasserstein.png")
  assert ("`python -m gan_jax.main --config=configs/test.py --workdir=runs/results/fast "
          "--mode=eval --config.eval_params=raw`") in text
  assert results.train_seconds({"steps_per_sec": (np.array([100, 300]), np.array([1.0, 2.0]))}) \
      == pytest.approx(200.0)


def test_an_entry_with_a_rate_counts_its_steps_at_that_rate_plus_periodic_evaluations(
    test_config, tmp_path, monkeypatch):
  """A run that shared the machine logged a slower rate than the step's own: the budget counts
  steps / rate (the step alone on the whole machine) plus the periodic evaluations' time."""
  shared = dict(key="shared", what="shared model", config="configs/test.py", args=[],
                budget=1, target="FID <= 40", metrics=["fid"], beside="x", changes="nothing",
                rate=0.1)
  monkeypatch.setattr(results, "ENTRIES", [shared])
  monkeypatch.chdir(tmp_path)
  test_config.num_train_steps = 300
  _finished_run(results.workdir(shared), test_config, [(300, 0.05)], 30.0)  # logged: 6,000 s
  run = RunFolder(results.workdir(shared))
  run.append_result(EvalResult("fid", 100, False, {"fid": 90.0}, {}, 240.0, 16).record())
  m = results.measured(shared)
  assert m["train_seconds"] == pytest.approx(300 / 0.1 + 240.0)  # the final's 120 s not in it
  assert m["logged_seconds"] == pytest.approx(6000.0)
  text = open(results.write_table(str(tmp_path / "RESULTS.md"))).read()
  assert "| yes | 300 | 0 h 54 min |" in text  # 3,240 s: within the hour the log exceeds
  assert "300 steps at 0.1 steps/s" in text and "logged time" in text
  # the entry's steps raised past the run's: its numbers are the run's so far, not a verdict
  monkeypatch.setitem(shared, "args", ["--config.num_train_steps=600"])
  text = open(results.write_table(str(tmp_path / "RESULTS.md"))).read()
  assert "| not yet: 300 of 600 steps | 300 |" in text


def test_root_moves_the_run_folders_and_the_page_keeps_the_default_commands(tmp_path):
  entry = results.BY_KEY["shapes_acgan"]
  assert results.workdir(entry, str(tmp_path)) == os.path.join(
      str(tmp_path), "results", "shapes_acgan")
  assert results.train_command(entry)[4] == "--workdir=runs/results/shapes_acgan"
  assert results.train_command(entry, root="/x")[4] == "--workdir=/x/results/shapes_acgan"
  assert "recorded" not in {k for e in results.ENTRIES for k in e}  # no figure as text


def test_an_entry_without_a_run_here_keeps_the_pages_row_marked(tmp_path, monkeypatch):
  """A page gathers several sittings: an entry with no run on this machine keeps its measured
  row, marked as kept (and superseded where its code changed since); --fresh drops it."""
  began = dict(key="began", what="BEGAN", config="configs/test.py", args=[], budget=1,
               target="FID <= 35, recall >= 0.3", metrics=["fid"], beside="Lucic: 22.9",
               changes="nothing", superseded="the k_t fix")
  monkeypatch.setattr(results, "ENTRIES", [began])
  monkeypatch.chdir(tmp_path)
  page = tmp_path / "RESULTS.md"
  page.write_text("| model | budget | target | met | steps | training | final eval | numbers | "
                  "beside | samples |\n|---|---|---|---|---|---|---|---|---|---|\n"
                  "| BEGAN | 1 h | FID <= 40 | no | 8000 | 0 h 53 min | 0 h 33 min | fid 140.5 | "
                  "old | [grid](results/began.png) |\n")
  text = open(results.write_table(str(page))).read()
  row = next(ln for ln in text.splitlines() if ln.startswith("| BEGAN"))
  assert "kept from an earlier sitting (commit not recorded); superseded: the k_t fix" in row
  assert "| 8000 | 0 h 53 min | 0 h 33 min | fid 140.5 | Lucic: 22.9 |" in row
  assert "FID <= 35, recall >= 0.3" in row
  again = open(results.write_table(str(page))).read()  # kept again: marked once
  assert again.count("kept from an earlier sitting") == 2 and again.count("superseded") == 1
  assert "| not run |" in open(results.write_table(str(page), keep=False)).read()
  m = {"fid": 30.0, "fid_raw": 33.0, "recall": 0.2, "train_seconds": 100.0}
  assert results.met(began, m) == "no"  # FID met, recall not
  assert results.met(began, dict(m, recall_raw=0.35)) == "yes"


def test_a_run_of_a_smaller_budget_is_trained_on_and_its_raw_g_evaluated_again(test_config, tmp_path):
  entry = dict(key="grown", config="configs/test.py", args=["--config.num_train_steps=6"],
               raw=True)
  where = results.workdir(entry, str(tmp_path))
  test_config.num_train_steps = 4
  _finished_run(where, test_config, [(2, 5.0), (4, 5.0)], 30.0, fid_raw=31.0)
  os.makedirs(os.path.join(where, "checkpoints", "4"))
  assert results.entry_steps(entry) == 6
  assert results.needs_training(entry, str(tmp_path))  # finished at 4, the entry asks 6
  assert not results.needs_raw(entry, str(tmp_path))   # step 4's raw result is there
  os.makedirs(os.path.join(where, "checkpoints", "6"))
  test_config.num_train_steps = 6
  RunFolder(where).write_config(test_config)
  assert not results.needs_training(entry, str(tmp_path))
  assert results.needs_raw(entry, str(tmp_path))       # none at step 6 yet
