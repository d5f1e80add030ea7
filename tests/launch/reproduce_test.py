"""launch/reproduce.py: every catalogued experiment names a real config, preset and fields, and
the page is built from finished runs (the report's number beside the measured one, mean ± std
over seeds, the last grid), with experiments not yet run said so."""

import importlib
import os
import shlex
import sys

import numpy as np
import pytest
from PIL import Image

from helpers import ROOT
from gan_jax.evaluators.base import EvalResult
from gan_jax.runs.run_folder import RunFolder

sys.path.insert(0, os.path.join(ROOT, "launch"))
import reproduce  # noqa: E402


def _lookup(config, dotted):
  node = config
  for part in dotted.split("."):
    node = node[part]  # a KeyError names a field the config does not have
  return node


@pytest.mark.parametrize("preset", ["cpu", "full"])
@pytest.mark.parametrize("exp", reproduce.EXPERIMENTS, ids=lambda e: e["key"])
def test_every_experiment_names_a_config_preset_and_fields_that_exist(exp, preset):
  module = importlib.import_module("configs." + os.path.basename(exp["config"])[:-3])
  config = module.get_config("cpu") if preset == "cpu" else module.get_config()
  for spec in exp["params"]:
    keys, _, values = spec.rpartition("=")
    for key in keys.split(","):
      _lookup(config, key)
  for arg in exp.get("extra", []):
    _lookup(config, arg.split("=", 1)[0][len("--config."):])
  cmd = reproduce.sweep_command(exp, preset)
  assert cmd[2] == "--config=" + exp["config"] + (":cpu" if preset == "cpu" else "")


def _finished_run(workdir, config, fid, png_value):
  os.makedirs(os.path.join(workdir, "samples"))
  RunFolder(workdir).write_config(config)
  Image.fromarray(np.full((8, 8), png_value, np.uint8)).save(
      os.path.join(workdir, "samples", f"step_{config.num_train_steps:06d}.png"))
  RunFolder(workdir).append_result(EvalResult("fid", config.num_train_steps, True, {"fid": fid}, {}, 1.0,
                                    16).record())
  RunFolder(workdir).append_result(EvalResult(
      "class_histogram", config.num_train_steps, True, {"kl_uniform": 0.1, "classes_covered": 10.0},
      {}, 1.0, 16, {"histogram": {str(c): 10 + c for c in range(10)}}).record())


def test_table_from_finished_runs(test_config, tmp_path, monkeypatch):
  grid = dict(key="grid", report=reproduce.STUDY, what="a grid", config="configs/test.py",
              params=["model.latent_dim=8,16", "seed=1,2"], metrics=["fid", "kl_uniform"],
              histogram=True,
              reported_what="FID", reported={(8,): "50.0"})
  missing = dict(key="missing", report=reproduce.CELEBA, what="not run", config="configs/test.py",
                 params=[], metrics=["fid"], reported_what="IS", reported={(): "2.70"})
  monkeypatch.setattr(reproduce, "EXPERIMENTS", [grid, missing])
  monkeypatch.chdir(tmp_path)
  root = reproduce.root_of(grid, "cpu")
  fids = {(8, 1): 40.0, (8, 2): 44.0, (16, 1): 30.0, (16, 2): 31.0}
  for (latent, seed), fid in fids.items():
    test_config.model.latent_dim, test_config.seed = latent, seed
    _finished_run(os.path.join(root, f"latent_dim{latent}_seed{seed}"), test_config, fid,
                  latent * 10 + seed)
  os.makedirs(os.path.join(root, "unfinished"))
  RunFolder(os.path.join(root, "unfinished")).write_config(test_config)
  out = str(tmp_path / "docs" / "REPRODUCTION.md")
  reproduce.write_table("cpu", out)
  text = open(out).read()
  assert "`" + shlex.join(reproduce.sweep_command(grid, "cpu")) + "`" in text
  rows = [ln for ln in text.splitlines() if ln.startswith("| 8 ") or ln.startswith("| 16 ")]
  percent = " ".join(str(round(100 * (10 + c) / 145)) for c in range(10))  # of 145 samples
  assert rows[0].startswith(f"| 8 | 50.0 | 42 ± 2.8 | 0.1 ± 0 | {percent} |"), rows
  assert rows[1].startswith("| 16 |  | 30.5 ± 0.71 |"), rows
  assert rows[0].endswith("| 2 | [grid](reproduction/grid_latent_dim8_seed1.png) |")
  copied = np.asarray(Image.open(tmp_path / "docs" / "reproduction" / "grid_latent_dim8_seed1.png"))
  assert copied[0, 0] == 81                           # the run's own last grid
  assert "Budget: 12 steps at batch 16" in text
  assert "Unfinished: 1 point(s)." in text
  assert "### not run" in text and "Not run yet under this preset. Report: IS." in text

  # another sitting measured `missing`: its rows stay on the page when this machine has no
  # runs of it; the report's wording comes from the catalogue; --fresh drops them
  sitting = text.replace(
      "Not run yet under this preset. Report: IS.",
      "Budget: 9 steps at batch 4 (x, 8x8). Report's number: old words.\n\n"
      "| report | fid | n | samples |\n|---|---|---|---|\n| 2.70 | 77.7 | 1 |  |")
  open(out, "w").write(sitting)
  reproduce.write_table("cpu", out)
  again = open(out).read()
  assert "| 2.70 | 77.7 | 1 |  |" in again and "Report's number: IS." in again
  assert "old words" not in again and "Measured in an earlier sitting" in again
  assert again.count("| 8 | 50.0 | 42 ± 2.8") == 1       # the grid's rows from its runs
  reproduce.write_table("cpu", out)                       # a third sitting: one note, still
  assert open(out).read().count("Measured in an earlier sitting") == 1
  reproduce.write_table("cpu", out, keep=False)
  assert "77.7" not in open(out).read()


def _point_config(exp, preset, where):
  """The experiment's config at the point ``where`` (dotted field -> value), as its sweep would
  build it: the preset, then the extra overrides, then the point's values."""
  module = importlib.import_module("configs." + os.path.basename(exp["config"])[:-3])
  config = module.get_config("cpu") if preset == "cpu" else module.get_config()
  for arg in exp.get("extra", []):
    key, _, text = arg[len("--config."):].partition("=")
    *path, last = key.split(".")
    node = _lookup(config, ".".join(path)) if path else config
    old = node[last]
    node[last] = (text == "True") if isinstance(old, bool) else type(old)(text)
  for key, value in where.items():
    *path, last = key.split(".")
    (_lookup(config, ".".join(path)) if path else config)[last] = value
  return config


@pytest.mark.parametrize("preset", ["cpu", "full"])
@pytest.mark.parametrize("exp", [e for e in reproduce.EXPERIMENTS if e.get("shares")],
                         ids=lambda e: e["key"])
def test_a_shared_point_is_a_point_of_the_lender_with_the_same_config(exp, preset):
  shared = exp["shares"]
  lender = reproduce.BY_KEY[shared["key"]]
  where = shared["where"]
  mine = _point_config(exp, preset, where)
  theirs = _point_config(lender, preset, where)
  assert mine.to_dict() == theirs.to_dict()
  # the lender's sweep trains that point: a swept field takes the value, the others hold it
  swept = {}
  for spec in lender["params"]:
    keys, _, values = spec.rpartition("=")
    for key in keys.split(","):
      swept[key] = values.split(",")
  plain = _point_config(lender, preset, {})
  for key, value in where.items():
    if key in swept:
      assert str(value) in swept[key], (key, value, swept[key])
    else:
      assert _lookup(plain, key) == value, key
  # and the borrower does not train it again
  own = {}
  for spec in exp["params"]:
    keys, _, values = spec.rpartition("=")
    for key in keys.split(","):
      own[key] = values.split(",")
  assert any(k in own and str(v) not in own[k] for k, v in where.items())


def test_table_reads_a_shared_point_from_the_lenders_runs(test_config, tmp_path, monkeypatch):
  lender = dict(key="lender", report=reproduce.STUDY, what="a lender", config="configs/test.py",
                params=["model.latent_dim=8,16"], metrics=["fid"], reported_what="FID",
                reported={})
  borrower = dict(key="borrower", report=reproduce.STUDY, what="a borrower",
                  config="configs/test.py", params=["model.latent_dim=32"], metrics=["fid"],
                  shares=dict(key="lender", where={"model.latent_dim": 8}, what="latent 8"),
                  reported_what="FID", reported={(8,): "50.0"})
  monkeypatch.setattr(reproduce, "EXPERIMENTS", [lender, borrower])
  monkeypatch.setattr(reproduce, "BY_KEY", {"lender": lender, "borrower": borrower})
  monkeypatch.chdir(tmp_path)
  for exp, latent, fid in ((lender, 8, 40.0), (lender, 16, 30.0), (borrower, 32, 20.0)):
    test_config.model.latent_dim = latent
    _finished_run(os.path.join(reproduce.root_of(exp, "cpu"), f"latent_dim{latent}"),
                  test_config, fid, latent)
  out = str(tmp_path / "REPRODUCTION.md")
  reproduce.write_table("cpu", out)
  section = open(out).read().split("### a borrower")[1]
  rows = [ln for ln in section.splitlines() if ln.startswith("| ") and ln[2].isdigit()]
  assert [r.split(" | ")[:3] for r in rows] == [["| 8", "50.0", "40"], ["| 32", "", "20"]], rows
  assert "The latent 8 row is the `lender` sweep's run with the same config" in section
