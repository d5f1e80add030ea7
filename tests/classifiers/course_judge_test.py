"""The i-CLEVR course's evaluator (torchvision's ResNet-18, 24-way linear + sigmoid, saved
by torch) read without torch: against torchvision's own forward on random weights
(tests/golden/course_judge_golden.npz, from tools/make_course_judge_golden.py), and as the
judge of ``evals.conditional_score``."""

import os
import sys

import numpy as np
import pytest
from formats import course_judge_state_dict
from helpers import ROOT

from gan_jax.classifiers.course import CourseJudge
from gan_jax.utils.errors import GanJaxError

sys.path.insert(0, os.path.join(ROOT, "tests"))
import torch_save_format  # noqa: E402


def _checkpoint(path, sd):
  with open(path, "wb") as f:
    f.write(torch_save_format.dumps(sd, wrap="model"))
  return str(path)


def test_the_course_evaluator_read_without_torch_equals_torchvisions_forward(tmp_path):
  golden = np.load(os.path.join(ROOT, "tests", "golden", "course_judge_golden.npz"))
  judge = CourseJudge(_checkpoint(tmp_path / "checkpoint.pth", course_judge_state_dict(0)))
  got = judge.logits(golden["images"])
  np.testing.assert_allclose(got, golden["outputs"], atol=2e-5, rtol=0)
  assert judge.info["num_classes"] == 24 and "ResNet-18" in judge.protocol()["judge"]
  small = judge.logits(golden["images"][:, ::2, ::2])  # 32x32 samples: resized to 64 first
  assert small.shape == (6, 24) and np.all((small >= 0) & (small <= 1))


def test_a_file_that_is_not_the_course_evaluator_is_one_line(tmp_path):
  with pytest.raises(GanJaxError, match="no such file"):
    CourseJudge(str(tmp_path / "missing.pth"))
  (tmp_path / "junk.pth").write_bytes(b"not a torch file")
  with pytest.raises(GanJaxError, match="is not a torch.save file"):
    CourseJudge(str(tmp_path / "junk.pth"))
  sd = course_judge_state_dict(0)
  sd["fc.weight"] = sd.pop("fc.0.weight")
  with pytest.raises(GanJaxError, match="no ResNet-18 with a 'fc.0' linear layer"):
    CourseJudge(_checkpoint(tmp_path / "other.pth", sd))
