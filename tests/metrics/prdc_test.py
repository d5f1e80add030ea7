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
  # on average 1 + 4 balls, density (1 + 4) / 5 exactly: the distances compared with the
  # radii are the same numbers the radii came from, on every CPU
  assert same["density"] == 1.0
  far = prdc(x, x + 100.0, 5)
  assert far == dict(precision=0.0, recall=0.0, density=0.0, coverage=0.0)


def test_distances_do_not_depend_on_the_block_layout():
  """Ties on a ball's boundary: a set against itself at many block sizes, and a duplicated
  set (every radius has a tie at distance 0 or on the boundary) give one answer."""
  rng = np.random.default_rng(1)
  x = rng.normal(size=(150, 2048)).astype(np.float32) * 3.0
  got = {tuple(sorted(prdc(x, x, 5, block=b).items())) for b in (1, 7, 64, 150, 1024)}
  assert got == {tuple(sorted(dict(precision=1.0, recall=1.0, density=1.0,
                                   coverage=1.0).items()))}
  twice = np.concatenate([x[:40], x[:40]])
  assert len({tuple(sorted(prdc(twice, twice, 3, block=b).items())) for b in (1, 9, 80)}) == 1


@pytest.mark.parametrize("k", [1, 2, 4])
def test_ties_on_a_lattice_equal_the_direct_computation(k):
  """Lattice points far from the origin: many neighbours tie at the k-th distance, and
  ||a||^2 + ||b||^2 - 2 a.b in float32 would break those ties differently per pair."""
  g = np.stack(np.meshgrid(np.arange(9), np.arange(9)), -1).reshape(-1, 2).astype(np.float32)
  real = g + 5000.0
  fake = np.concatenate([g[::2], g[:20] + 0.5]) + 5000.0
  for a, b in ((real, real), (real, fake), (fake, real)):
    got, want = prdc(a, b, k, block=13), direct(a, b, k)
    for name in want:
      assert got[name] == pytest.approx(want[name], abs=1e-12), name


def test_prdc_rejects_sets_it_cannot_score():
  x = np.zeros((5, 3))
  with pytest.raises(MetricInputError, match="more than k samples"):
    prdc(x, x, 5)
  with pytest.raises(MetricInputError, match="one D"):
    prdc(np.zeros((10, 3)), np.zeros((10, 4)), 2)
