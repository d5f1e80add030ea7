"""--mode=report's figures: conditional_score's split of what it misses gets a figure of its
own, apart from the scores; the object counts stay in report.md's table."""

import os

from gan_jax.evaluators.base import EvalResult
from gan_jax.runs import report
from gan_jax.runs.run_folder import RunFolder


def test_the_conditional_scores_parts_are_a_figure_of_their_own(test_config, tmp_path,
                                                                monkeypatch):
  wd = str(tmp_path / "run")
  os.makedirs(wd)
  RunFolder(wd).write_config(test_config)
  scalars = {"score_test": 0.4, "chance_test": 0.1, "attribute_hit_test": 0.77,
             "object_hit_test": 0.67, "chance_object_test": 0.61, "asked_seen_test": 0.43,
             "unasked_seen_test": 1.4, "objects_seen_test": 2.3, "objects_asked_test": 2.0}
  for step, final in ((5, False), (10, True)):
    RunFolder(wd).append_result(EvalResult("conditional_score", step, final, scalars, {}, 1.0,
                                           320).record())
  drawn = {}
  real_figure = report._figure

  def recording(path, series, title, **kw):
    drawn[os.path.basename(path)] = set(series)
    real_figure(path, series, title, **kw)
  monkeypatch.setattr(report, "_figure", recording)
  md = open(report.write(wd)).read()
  assert drawn["conditional_score.png"] == {"score_test", "chance_test"}
  assert drawn["conditional_score_parts.png"] == {
      "attribute_hit_test", "object_hit_test", "chance_object_test", "asked_seen_test"}
  assert os.path.exists(os.path.join(wd, "report", "conditional_score_parts.png"))
  assert "| conditional_score | 10 | objects_seen_test | 2.3 |" in md
