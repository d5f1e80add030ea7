"""Precision, recall, density and coverage against a direct computation of their definitions
(scipy's exact distances, every matrix whole, loops over samples) and on sets whose answer is
known."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from gan_jax.metrics.prdc import prdc
from gan_jax.metrics.stats import MetricInputError


def direct(real, fake, k):
  rr, ff, rf = cdist(real, real), cdist(fake, fake), cdist(real, fake)
  r_rad = np.array([sorted(row)[k] for row in rr])  # row[0] is the sample itself
  f_rad = np.array([sorted(row)[k] for row in ff])
  precision = np.mean([any(rf[i, j] < r_rad[i] for i in range(len(real)))
                       for j in range(len(fake))])
  recall = np.mean([any(rf[i, j] < f_rad[j] for j in range(len(fake)))
                    for i in range(len(real))])
  density = np.mean([sum(rf[i, j] < r_rad[i] for i in range(len(real)))
                     for j in range(len(fake))]) / k
  coverage = np.mean([rf[i].min() < r_rad[i] for i in range(len(real))])
  return dict(precision=precision, recall=recall, density=density, coverage=coverage)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_prdc_equals_the_direct_computation_of_its_definitions(k):
  rng = np.random.default_rng(k)
  real = rng.normal(size=(120, 8))
  fake = np.concatenate([rng.normal(size=(60, 8)) * 0.7 + 0.3,   # inside the real cloud
                         rng.normal(size=(30, 8)) + 4.0])         # a mode of its own
  got = prdc(real, fake, k, block=37)  # blocks that do not divide the sets
  want = direct(real, fake, k)
  for name in want:
    assert got[name] == pytest.approx(want[name], abs=1e-9), name
  assert 0 < got["precision"] < 1 and 0 < got["recall"] < 1


def test_identical_sets_are_perfect_and_far_sets_score_zero():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(200, 16))
  same = prdc(x, x, 5)
  assert same["precision"] == same["recall"] == same["coverage"] == 1.0
  # each point lies in its own ball and in the balls of the reals that have it among their
  # 4 nearest (the 5th nearest sits on the boundary, outside under the strict inequality):
  # on average 1 + 4 balls, density (1 + 4) / 5
  assert same["density"] == pytest.approx(1.0)
  far = prdc(x, x + 100.0, 5)
  assert far == dict(precision=0.0, recall=0.0, density=0.0, coverage=0.0)


def test_prdc_rejects_sets_it_cannot_score():
  x = np.zeros((5, 3))
  with pytest.raises(MetricInputError, match="more than k samples"):
    prdc(x, x, 5)
  with pytest.raises(MetricInputError, match="one D"):
    prdc(np.zeros((10, 3)), np.zeros((10, 4)), 2)
