"""FID/KID/IS against independent float64 computations."""

import numpy as np
import pytest
import scipy.linalg

from gan_jax.metrics import stats as fid_stats


def fid_by_sqrtm(f1, f2):
  """Independent route, the reference implementations' (pytorch-fid, StyleGAN's metrics): the
  whole square root of S1 S2 by scipy.linalg.sqrtm, its trace's real part."""
  mu1, mu2 = f1.mean(0), f2.mean(0)
  s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
  root = scipy.linalg.sqrtm(s1 @ s2)
  return ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(root).real


def stats(f, batch=37):
  rs = fid_stats.RunningStats(f.shape[1])
  for i in range(0, len(f), batch):
    rs.update(f[i:i + batch])
  return rs.mean_cov()


def test_fid_matches_independent_computation():
  rng = np.random.default_rng(0)
  f1 = rng.normal(size=(600, 48)) @ rng.normal(size=(48, 48))
  f2 = rng.normal(0.3, 1.2, size=(500, 48)) @ rng.normal(size=(48, 48))
  (m1, c1), (m2, c2) = stats(f1), stats(f2)
  np.testing.assert_allclose(m1, f1.mean(0), rtol=1e-10)
  np.testing.assert_allclose(c1, np.cov(f1, rowvar=False), rtol=1e-8, atol=1e-10)
  fid, info = fid_stats.frechet_distance(m1, c1, m2, c2)
  assert not info["eps_fix"]
  np.testing.assert_allclose(fid, fid_by_sqrtm(f1, f2), rtol=1e-10)
  np.testing.assert_allclose(fid_stats.frechet_distance(m2, c2, m1, c1)[0], fid, rtol=1e-6)  # symmetric
  assert abs(fid_stats.frechet_distance(m1, c1, m1, c1)[0]) < 1e-6 * fid  # ~0 with itself


def test_the_reference_route_agrees_on_full_rank_features_of_many_dimensions():
  rng = np.random.default_rng(2)
  f1 = rng.normal(size=(700, 256))
  f2 = rng.normal(0.1, 1.1, size=(600, 256)) @ (np.eye(256) + 0.1 * rng.normal(size=(256, 256)))
  np.testing.assert_allclose(fid_stats.frechet_distance(*stats(f1), *stats(f2))[0],
                             fid_by_sqrtm(f1, f2), rtol=1e-10)


def test_singular_covariances_need_no_repair():
  """Fewer samples than dimensions (rank 9 < 64): a finite FID, the reference route's value."""
  rng = np.random.default_rng(1)
  f1, f2 = rng.normal(size=(10, 64)), rng.normal(size=(10, 64))
  fid, info = fid_stats.frechet_distance(*stats(f1), *stats(f2))
  assert np.isfinite(fid) and fid > 0 and not info["eps_fix"]
  np.testing.assert_allclose(fid, fid_by_sqrtm(f1, f2), rtol=1e-6)
  m, c = stats(f1)
  with pytest.raises(fid_stats.MetricInputError, match="not finite"):
    fid_stats.frechet_distance(m, c * np.nan, m, c)


def test_too_few_samples_and_bad_shapes_are_clear_errors():
  rs = fid_stats.RunningStats(8)
  rs.update(np.zeros((1, 8)))
  with pytest.raises(fid_stats.MetricInputError, match="at least 2 samples"):
    rs.mean_cov()
  with pytest.raises(fid_stats.MetricInputError, match=r"\(N, 8\)"):
    rs.update(np.zeros((3, 9)))


def test_kid_is_unbiased_zero_for_same_distribution_and_positive_otherwise():
  rng = np.random.default_rng(2)
  a, b = rng.normal(size=(800, 32)), rng.normal(size=(800, 32))
  assert abs(fid_stats.kernel_inception_distance(a, b, num_subsets=20, max_subset_size=400)) < 0.01
  assert fid_stats.kernel_inception_distance(a, b + 0.5, num_subsets=20, max_subset_size=400) > 0.05


def test_inception_score_is_1_for_uniform_and_k_for_confident_k_classes():
  uniform = np.zeros((100, 10))
  assert fid_stats.inception_score(uniform)[0] == pytest.approx(1.0)
  confident = np.eye(10)[np.arange(100) % 10] * 50
  assert fid_stats.inception_score(confident)[0] == pytest.approx(10.0, rel=1e-3)


def test_topk_scores_per_image_and_over_all_objects_and_their_chance_levels():
  """Image 1: 1 object, hit; image 2: 3 objects, 1 hit. Per image (1 + 1/3) / 2; over all
  objects (the i-CLEVR course's evaluator) 2 / 4."""
  from gan_jax.metrics.topk import topk_chance, topk_score
  labels = np.zeros((2, 6), np.float32)
  labels[0, 2] = 1
  labels[1, [0, 1, 2]] = 1
  logits = np.asarray([[0, 0, 5, 0, 0, 0], [4, 0, 0, 3, 2, 0]], np.float32)
  np.testing.assert_allclose(topk_score(logits, labels), (1 + 1 / 3) / 2, rtol=1e-6)
  np.testing.assert_allclose(topk_score(logits, labels, average="objects"), 0.5, rtol=1e-6)
  # chance: a condition of k objects expects k^2 / K hits
  chance = topk_chance(labels, 6)
  np.testing.assert_allclose(chance["images"], (1 / 6 + 3 / 6) / 2)
  np.testing.assert_allclose(chance["objects"], (1 / 6 + 9 / 6) / 4)
  # a random judge's mean over many draws approaches the chance levels
  rng = np.random.default_rng(0)
  draws = [(float(topk_score(l, labels)), float(topk_score(l, labels, average="objects")))
           for l in rng.normal(size=(3000, 2, 6))]
  mean = np.mean(draws, axis=0)
  np.testing.assert_allclose(mean, [chance["images"], chance["objects"]], atol=0.02)


def test_word_hits_split_an_asked_class_into_its_attribute_and_its_object():
  """Image 1 asks a red square and is judged a red circle: the colour hits, the shape does
  not. Image 2 asks a blue square and a blue circle and is judged blue square, red square:
  only blue is held, so the square and the circle each hit on blue; the square's
  shape hits, the circle's does not."""
  from gan_jax.metrics.topk import word_chance, word_hits
  names = ["red square", "blue square", "red circle", "blue circle"]
  labels = np.array([[1, 0, 0, 0], [0, 1, 0, 1]])
  logits = np.array([[0., 0., 5., 0.], [4., 5., 0., 0.]])
  hits = word_hits(logits, labels, names)
  np.testing.assert_array_equal(hits["attribute"], [1, 2])
  np.testing.assert_array_equal(hits["object"], [0, 1])
  # a random judge: image 1 (k=1) holds red with 1/2, square with 1/2; image 2 (k=2) holds
  # blue with 1 - C(2,2)/C(4,2) = 5/6 for each of its two objects, and each shape likewise
  chance = word_chance(labels, names)
  np.testing.assert_allclose([chance["attribute"], chance["object"]],
                             [(1 / 2 + 2 * 5 / 6) / 3] * 2)
  rng = np.random.default_rng(0)
  draws = [word_hits(l, labels, names) for l in rng.normal(size=(3000, 2, 4))]
  for part in ("attribute", "object"):
    np.testing.assert_allclose(np.mean([d[part].sum() / 3 for d in draws]), chance[part],
                               atol=0.02)
