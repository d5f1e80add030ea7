"""The training loop's stop signals: an evaluation is cut short at once (the checkpoint is
already written), and the next run does the missing final evaluation."""

import os
import signal
import threading
import time

import pytest

from gan_jax.evaluators.base import EvalResult
from gan_jax.runs.run_folder import RunFolder
from gan_jax.training import signals, train
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel


@pytest.fixture(autouse=True)
def _handlers_restored():
  """A stopped StopRequest leaves SIGTERM/SIGUSR1 ignored until the process exits (a CLI
  run exits next); this process goes on, so they are put back."""
  saved = {s: signal.getsignal(s) for s in signals.SIGNALS}
  yield
  for s, handler in saved.items():
    signal.signal(s, handler)


class _FinalEvaluation:
  """A final evaluation that, when ``stop_itself``, sends this process SIGTERM and then runs
  on as a long evaluation would."""
  name, every, final, enabled = "fid", 0, True, True

  def __init__(self, stop_itself: bool):
    self.stop_itself, self.calls = stop_itself, 0

  def prepare(self):
    pass

  def evaluate(self, samples, step, final):
    self.calls += 1
    if self.stop_itself:
      os.kill(os.getpid(), signal.SIGTERM)
      for _ in range(600):
        time.sleep(0.1)
      raise AssertionError("the stop signal did not cut the evaluation short")
    return EvalResult("fid", step, final, {"fid": 1.0}, {}, 0.0, 16)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signal handlers need the main thread")
def test_sigterm_during_the_final_evaluation_stops_and_the_next_run_finishes_it(
    test_config, tmp_path, monkeypatch):
  test_config.num_train_steps = 4
  test_config.evals.fid.final = True
  mesh = parallel.make_mesh(1)
  stopping = _FinalEvaluation(stop_itself=True)
  monkeypatch.setattr(Experiment, "evaluators", lambda self, enabled_only=True: [stopping])
  with pytest.raises(signals.Stopped) as stopped:  # interrupted is not finished
    train.train_and_evaluate(test_config, str(tmp_path), mesh)
  assert stopped.value.exit_code == 128 + signal.SIGTERM
  run = RunFolder(str(tmp_path))
  assert stopping.calls == 1
  assert sorted(os.listdir(run.checkpoints)) == ["4"]
  assert run.missing_finals(test_config.evals.to_dict(), 4) == ["fid"]
  finishing = _FinalEvaluation(stop_itself=False)
  monkeypatch.setattr(Experiment, "evaluators", lambda self, enabled_only=True: [finishing])
  train.train_and_evaluate(test_config, str(tmp_path), mesh)
  assert finishing.calls == 1 and run.missing_finals(test_config.evals.to_dict(), 4) == []
  assert run.final_metrics() == ({"fid": 1.0}, 4)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signal handlers need the main thread")
def test_a_signal_is_a_flag_during_steps_and_stops_at_once_in_an_evaluation():
  with signals.StopRequest() as stop:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.05)
    assert stop.requested()  # during the steps: a flag the loop reads
    with pytest.raises(signals.Interrupted):  # an evaluation after it does not start
      with stop.at_once():
        pass
  with signals.StopRequest() as stop:
    with pytest.raises(signals.Interrupted):
      with stop.at_once():
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100):
          time.sleep(0.05)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signal handlers need the main thread")
def test_a_schedulers_repeated_sigterm_is_ignored_and_a_second_ctrl_c_stops_at_once():
  for first in (signal.SIGTERM, signal.SIGUSR1):
    with signals.StopRequest() as stop:
      os.kill(os.getpid(), first)
      for repeat in (signal.SIGTERM, signal.SIGUSR1, signal.SIGTERM):
        os.kill(os.getpid(), repeat)  # srun and slurmstepd at a time limit: ignored
      time.sleep(0.05)
      assert stop.requested() and stop.signum == first
      with pytest.raises(signals.Interrupted):  # a person pressing Ctrl-C again
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(100):
          time.sleep(0.05)
    with pytest.raises(signals.Stopped) as stopped:
      stop.raise_if_stopped()
    assert stopped.value.exit_code == 128 + first
