"""The example notebook, executed by a real Jupyter kernel (nbclient), so it cannot rot."""

import os

import nbformat
from helpers import ROOT, xla_flags
from nbclient import NotebookClient


def test_the_example_notebook_runs_and_shows_its_grids(tmp_path, monkeypatch):
  monkeypatch.setenv("GAN_JAX_NOTEBOOK_RUN", str(tmp_path / "run"))
  monkeypatch.setenv("XLA_FLAGS", xla_flags(1))
  monkeypatch.setenv("PYTHONPATH", ROOT)
  nb = nbformat.read(os.path.join(ROOT, "examples", "sample_a_run.ipynb"), as_version=4)
  NotebookClient(nb, timeout=600, kernel_name="python3",
                 resources={"metadata": {"path": ROOT}}).execute()
  outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
  assert not [o for o in outputs if o.output_type == "error"]
  pngs = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
  assert len(pngs) == 3  # samples, one row per class, the interpolation
  text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
  assert "(32, 32, 32, 1) uint8" in text
  assert os.path.exists(tmp_path / "run" / "checkpoints" / "30")
