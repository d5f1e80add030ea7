"""The collector: finished runs (written by the trainer's own config and results writers)
into per-run rows, mean +- std over seeds per point of the varying axes, and figures."""

import csv
import os

import numpy as np
import pytest

from gan_jax import collect as collect_cli
from gan_jax.runs import tables
from gan_jax.evaluators.base import EvalResult
from gan_jax.runs.run_folder import RunFolder


def _fid(latent, hidden, seed):
  """A made-up FID per run, distinct per run so that every mean and std can be checked."""
  return 100.0 / latent + hidden / 10.0 + seed / 100.0


def _run(root, test_config, latent, hidden, seed, final=True):
  wd = os.path.join(root, f"latent{latent}_hidden{hidden}_seed{seed}")
  os.makedirs(wd)
  test_config.model.latent_dim, test_config.model.g_hidden = latent, hidden
  test_config.model.d_hidden, test_config.seed = hidden, seed
  RunFolder(wd).write_config(test_config)
  fid = _fid(latent, hidden, seed)
  # a periodic record, then the final ones (FID and the class histogram's KL)
  RunFolder(wd).append_result(EvalResult("fid", 6, False, {"fid": fid + 50, "kid": 0.5}, {}, 1.0, 16).record())
  if final:
    RunFolder(wd).append_result(EvalResult("fid", 12, True, {"fid": fid, "kid": fid / 1000}, {"k": 1},
                                 1.0, 16).record())
    RunFolder(wd).append_result(EvalResult("class_histogram", 12, True,
                                 {"kl_uniform": seed / 10, "classes_covered": 10.0}, {}, 1.0,
                                 16).record())
  return wd


def test_collector_groups_two_axes_over_seeds(test_config, tmp_path):
  root = str(tmp_path / "runs")
  seeds = (1, 2, 3)
  for latent in (16, 64):
    for hidden in (16, 32):
      for seed in seeds:
        _run(root, test_config, latent, hidden, seed)
  unfinished = _run(root, test_config, 100, 16, 1, final=False)
  out = str(tmp_path / "tables")
  assert collect_cli.main([root, f"--out={out}", "--plot=model.latent_dim:fid:model.g_hidden"]) == 0

  result = tables.collect(tables.load_runs([root]))
  # latent_dim, g_hidden and d_hidden vary; the seed is averaged over
  assert result["axes"] == ["model.d_hidden", "model.g_hidden", "model.latent_dim"]
  assert result["over"] == "seed" and result["unfinished"] == [unfinished]
  assert result["metrics"] == ["classes_covered", "fid", "kid", "kl_uniform"]
  assert len(result["runs"]) == 12 and len(result["groups"]) == 4
  for g in result["groups"]:
    want = [_fid(g["model.latent_dim"], g["model.g_hidden"], s) for s in seeds]
    assert g["n"] == 3
    assert g["fid_mean"] == pytest.approx(np.mean(want))
    assert g["fid_std"] == pytest.approx(np.std(want, ddof=1))
    assert g["kl_uniform_mean"] == pytest.approx(0.2)  # the final record, not the periodic one
  # ordered by the axes' values
  assert [(g["model.g_hidden"], g["model.latent_dim"]) for g in result["groups"]] == [
      (16, 16), (16, 64), (32, 16), (32, 64)]

  with open(os.path.join(out, "table.csv")) as f:
    rows = list(csv.DictReader(f))
  assert len(rows) == 4 and float(rows[0]["fid_mean"]) == pytest.approx(
      np.mean([_fid(16, 16, s) for s in seeds]))
  with open(os.path.join(out, "runs.csv")) as f:
    assert len(list(csv.DictReader(f))) == 12
  md = open(os.path.join(out, "table.md")).read().splitlines()
  assert md[0] == ("| model.d_hidden | model.g_hidden | model.latent_dim | classes_covered | "
                   "fid | kid | kl_uniform | n |")
  assert md[2].startswith(f"| 16 | 16 | 16 | 10 ± 0 | {np.mean([_fid(16, 16, s) for s in seeds]):.4g} ± ")
  from PIL import Image
  assert Image.open(os.path.join(out, "fid_vs_latent_dim.png")).size[0] > 100


def test_collector_with_one_seed_and_bad_requests(test_config, tmp_path, capsys):
  root = str(tmp_path / "runs")
  _run(root, test_config, 16, 16, 1)
  _run(root, test_config, 64, 16, 1)
  result = tables.collect(tables.load_runs([root]), metrics=["fid"])
  assert result["axes"] == ["model.latent_dim"] and result["over"] is None
  assert [g["fid_std"] for g in result["groups"]] == [0.0, 0.0]
  assert collect_cli.main([root, "--plot=model.latent_dim:fjd"]) == 1
  assert "'fjd' is not a metric" in capsys.readouterr().err
  assert collect_cli.main([str(tmp_path / "none")]) == 1
  assert "no such folder" in capsys.readouterr().err


def test_last_logged_training_scalars_become_columns(test_config, tmp_path):
  """--scalars=M,wasserstein: the last value the trainer's writer logged, read from the real
  event files; a tag a run never logged is left out of that run."""
  from gan_jax.runs.run_folder import RunFolder
  root = str(tmp_path / "runs")
  wd = _run(root, test_config, 16, 16, 1)
  writer = RunFolder(wd).writer()  # the trainer's writer
  for step, m in ((10, 0.9), (20, 0.5), (30, 0.25)):
    writer.write_scalars(step, {"M": m, "k_t": step / 1000})
  writer.flush()
  writer.close()
  runs = tables.load_runs([root], scalars=["M", "wasserstein"])
  assert runs[0]["metrics"]["last_M"] == pytest.approx(0.25)
  assert "last_wasserstein" not in runs[0]["metrics"]
  out = str(tmp_path / "t")
  assert collect_cli.main([root, f"--out={out}", "--scalars=M,k_t"]) == 0
  assert "last_M" in open(os.path.join(out, "table.md")).read().splitlines()[0]
