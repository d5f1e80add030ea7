"""The run folder: the one module that reads and writes a run's files.

  <workdir>/config.json          the config the run was trained with (overrides applied)
  <workdir>/code.json            the code each session of the run ran (version, git commit)
  <workdir>/parameters.txt       G's and D's parameter tables (clu's parameter overview)
  <workdir>/results.json         every evaluation, a list of records, newest last
  <workdir>/evals/*.png          the evaluators' figures (``<evaluator>_<name>_step<N>.png``)
  <workdir>/samples/step_N.png   the fixed-noise sample grids (``--mode=sample``'s beside them)
  <workdir>/interpolations/      ``--mode=interpolate``'s strips
  <workdir>/report/              ``--mode=report``'s curves and summary
  <workdir>/train.log            the terminal of a run a sweep started beside others
  <workdir>/generator_step<N>.msgpack  ``--mode=export``'s generator (``gan_jax.trained``)
  <workdir>/checkpoints/         orbax checkpoints (``runs.checkpoints`` owns their format)
  <workdir>/events.out.tfevents* TensorBoard scalars and images, read back by ``scalars()``
  <workdir>/.writer.lock         held by the process writing the run (``writing()``)

Training, ensembles, ``--mode=eval``, the report, the collector and ``launch/`` all go through
``RunFolder``; writes happen on process 0 only, and ``results.json`` is replaced atomically.
"""

import contextlib
import datetime
import json
import os


from gan_jax.runs.provenance import code_version
from gan_jax.utils import once
from gan_jax.utils.errors import ConfigError, RunFolderBusyError

LOCK = ".writer.lock"

# the fields of a results.json record that are not results
RECORD_FIELDS = {"step", "num_samples", "seconds", "final", "evaluator"}


def record_metrics(record: dict) -> dict:
  """The numeric results of one results.json record (not its step, counts or timing)."""
  return {k: float(v) for k, v in record.items() if k not in RECORD_FIELDS
          and isinstance(v, (int, float)) and not isinstance(v, bool)}


def raw_suffix(config) -> str:
  """``_raw`` when a run's config keeps an EMA of G but evaluates its raw weights: its
  results are named ``<evaluator>_raw`` / ``<metric>_raw`` beside the EMA's."""
  return "_raw" if config.get("ema_decay", 0) > 0 and config.get("eval_params") == "raw" else ""


def _is_writer() -> bool:
  import jax
  return jax.process_index() == 0


def _any_process(flag: bool) -> bool:
  """``flag`` on any process (every process takes the same path)."""
  import jax
  if jax.process_count() == 1:
    return flag
  import numpy as np
  from jax.experimental import multihost_utils
  return bool(np.any(multihost_utils.process_allgather(np.asarray(flag))))


class RunFolder:
  """The files of the run in ``path``."""

  def __init__(self, path: str):
    self.path = os.path.abspath(path)

  def __repr__(self):
    return f"RunFolder({self.path!r})"

  def file(self, *parts) -> str:
    return os.path.join(self.path, *parts)

  @property
  def checkpoints(self) -> str:
    return self.file("checkpoints")

  def exists(self) -> bool:
    """Whether a run was started here (its config.json is written at the start)."""
    return os.path.exists(self.file("config.json"))

  # ---- one writer ---------------------------------------------------------------------

  @property
  def lock_path(self) -> str:
    return self.file(LOCK)

  @contextlib.contextmanager
  def writing(self):
    """Holds the folder while this run writes it (process 0 for a many-process run): a second
    process on it stops at once naming the holder; a holder that died is taken over (at once
    on this host, after ``once.STALE_AFTER`` s without its heartbeat from another)."""
    lock, holder = None, None
    if _is_writer():
      os.makedirs(self.path, exist_ok=True)
      lock = once.LockFile(self.lock_path, f"writing the run {self.path}")
      holder = lock.try_acquire()
    if _any_process(holder is not None):
      if lock is not None and holder is None:
        lock.release()
      raise RunFolderBusyError(
          f"{self.path} is being written by another run ({once.describe(holder)}; its lock "
          f"{self.lock_path}). Wait for it to finish or stop it, or pass another --workdir. "
          f"A run that died is taken over without a manual step (from another host after "
          f"{once.STALE_AFTER:.0f} s without its heartbeat).")
    try:
      yield
    finally:
      if lock is not None:
        lock.release()

  def writer_alive(self) -> dict | None:
    """The record of the live process writing this folder, or None."""
    return once.live_holder(self.lock_path)

  # ---- config.json ----------------------------------------------------------------------

  def write_config(self, config) -> None:
    """The run's config (a ConfigDict, overrides applied), at the start of every run."""
    if _is_writer():
      os.makedirs(self.path, exist_ok=True)
      _write_text(self.file("config.json"), config.to_json_best_effort(indent=2, sort_keys=True))

  def config(self) -> dict:
    if not self.exists():
      raise ConfigError(f"{self.path} holds no run (no config.json): train there first.")
    with open(self.file("config.json")) as f:
      return json.load(f)

  # ---- parameters.txt -------------------------------------------------------------------

  def write_parameters(self, text: str) -> None:
    """The networks' parameter tables (``parameters.txt``), written at the start."""
    if _is_writer():
      _write_text(self.file("parameters.txt"), text)

  def parameters(self) -> str | None:
    path = self.file("parameters.txt")
    if not os.path.exists(path):
      return None
    with open(path) as f:
      return f.read()

  # ---- code.json ------------------------------------------------------------------------

  def record_code(self, step: int) -> None:
    """Appends the code this session of the run runs, with the step it starts at."""
    if _is_writer():
      sessions = self.code_sessions()
      sessions.append(dict(code_version(), step=int(step),
                           started=datetime.datetime.now().isoformat(timespec="seconds")))
      os.makedirs(self.path, exist_ok=True)
      _write_text(self.file("code.json"), json.dumps(sessions, indent=2))

  def code_sessions(self) -> list[dict]:
    """Each session's ``{version, commit, dirty, step, started}``, oldest first ([] for a
    run made before code.json existed)."""
    path = self.file("code.json")
    if not os.path.exists(path):
      return []
    with open(path) as f:
      return json.load(f)

  # ---- results.json ---------------------------------------------------------------------

  def results(self) -> list[dict]:
    """Every evaluation record, oldest first (none before the first evaluation)."""
    path = self.file("results.json")
    if not os.path.exists(path):
      return []
    with open(path) as f:
      return json.load(f)

  def append_result(self, record: dict) -> None:
    """Adds one evaluation record (``EvalResult.record()``)."""
    if _is_writer():
      history = self.results()
      history.append(record)
      os.makedirs(self.path, exist_ok=True)
      _write_text(self.file("results.json"), json.dumps(history, indent=2))

  def final_records(self) -> dict:
    """``{evaluator: its newest final record}``."""
    return {r["evaluator"]: r for r in self.results() if r.get("final")}

  def final_metrics(self) -> tuple[dict, int | None]:
    """``({metric: value}, step)`` from the newest final record of each evaluator; a metric
    two evaluators share is named ``<evaluator>.<metric>``."""
    newest = self.final_records()
    names = {}
    for ev, r in newest.items():
      for k, v in record_metrics(r).items():
        names.setdefault(k, []).append((ev, v))
    metrics = {k if len(pairs) == 1 else f"{ev}.{k}": v
               for k, pairs in names.items() for ev, v in pairs}
    steps = [r["step"] for r in newest.values()]
    return metrics, (max(steps) if steps else None)

  def missing_finals(self, evals: dict, step: int, suffix: str = "") -> list[str]:
    """The evaluators whose final evaluation ``evals`` (the config's ``evals`` block as a
    dict) enables but results.json holds no final record of at ``step`` or later: a run
    stopped during its final evaluation is not finished. ``suffix``: the records' names
    carry it (``_raw``, see ``raw_suffix``)."""
    done = {r.get("evaluator") for r in self.results()
            if r.get("final") and r.get("step", -1) >= step}
    return [name for name, block in evals.items()
            if isinstance(block, dict) and block.get("final") and name + suffix not in done]

  # ---- figures and grids -----------------------------------------------------------------

  def save_eval_images(self, evaluator: str, step: int, figures: dict) -> None:
    """An evaluation's figures as ``evals/<evaluator>_<name>_step<N>.png``."""
    if _is_writer():
      from gan_jax.utils import images
      for name, img in figures.items():
        images.save_png(img, self.file("evals", f"{evaluator}_{name}_step{step:06d}.png"))

  def eval_images(self) -> list[str]:
    d = self.file("evals")
    return sorted(f for f in os.listdir(d) if f.endswith(".png")) if os.path.isdir(d) else []

  def grid_path(self, step: int) -> str:
    return self.file("samples", f"step_{step:06d}.png")

  def save_grid(self, step: int, grid) -> None:
    if _is_writer():
      from gan_jax.utils import images
      images.save_png(grid, self.grid_path(step))

  def latest_grid(self) -> str | None:
    """The newest sample grid's path, or None before the first."""
    grids = self.grids()
    return self.file("samples", grids[-1]) if grids else None

  def sample_base(self, step: int, seed: int) -> str:
    """``--mode=sample``'s grid of ``step`` and ``seed`` (``.png`` and ``.npz`` follow)."""
    return self.file("samples", f"sample_step{step:06d}_seed{seed}")

  def interpolation_base(self, kind: str, step: int, seed: int) -> str:
    """``--mode=interpolate``'s strip of one kind (``.png`` and ``.npz`` follow)."""
    return self.file("interpolations", f"{kind}_step{step:06d}_seed{seed}")

  def export_path(self, step: int) -> str:
    """``--mode=export``'s file: the config and G's weights of ``step``."""
    return self.file(f"generator_step{step:06d}.msgpack")

  @property
  def report_dir(self) -> str:
    """``--mode=report``'s curves and summary."""
    return self.file("report")

  @property
  def train_log(self) -> str:
    """The terminal output of a run a sweep started beside others."""
    return self.file("train.log")

  def latest_step(self) -> int | None:
    """The newest complete checkpoint's step (``runs.checkpoints``), or None."""
    from gan_jax.runs import checkpoints
    return checkpoints.latest_saved_step(self.checkpoints)

  def grids(self) -> list[str]:
    """The sample grids' file names, oldest first."""
    d = self.file("samples")
    return (sorted(f for f in os.listdir(d) if f.startswith("step_") and f.endswith(".png"))
            if os.path.isdir(d) else [])

  # ---- TensorBoard event files -----------------------------------------------------------

  def writer(self):
    """The run's TensorBoard writer (asynchronous, no TensorFlow: ``events.py``) on process
    0; a writer of nothing elsewhere. The terminal line is ``utils.terminal``'s."""
    from gan_jax.runs import events
    return events.EventWriter(self.path) if _is_writer() else events.NullWriter()

  def scalars(self) -> dict:
    """``{tag: (steps, values)}`` of every scalar in the run's event files."""
    from gan_jax.runs import events
    return events.read_scalars(self.path)

  def last_scalars(self, tags) -> dict:
    """``{"last_<tag>": value}``: the last logged value of each training scalar (BEGAN's M,
    WGAN's wasserstein, D_x); absent tags are left out."""
    if not tags:
      return {}
    series = self.scalars()
    return {f"last_{t}": float(series[t][1][-1]) for t in tags if t in series}


def _write_text(path: str, text: str) -> None:
  """Writes ``path`` whole or not at all (a reader never sees half a file)."""
  with open(path + ".tmp", "w") as f:
    f.write(text)
  os.replace(path + ".tmp", path)
