"""The classifiers trained in the repo (real data, real training, real orbax checkpoints) and
the evaluators they power, judged on real images whose answer is known."""

import json
import os

import numpy as np
import pytest
from helpers import configured, exclusive

from gan_jax import classifiers, data
from gan_jax.data import shapes
from gan_jax.data.provider import DataProvider
from gan_jax.evaluators import EvalContext, Samples, classes, conditions, diversity
from gan_jax.models import Condition
from gan_jax.utils.errors import GanJaxError

# Budgets small enough for CI, large enough for the thresholds the issue sets: the recipe's
# network at a quarter of its FLOPs (half its widths), a few hundred steps.
STEPS = {"mnist": 600, "fashion_mnist": 1000, "shapes_small": 1000}
WIDTHS = (16, 32, 64)
WIDTHS_TEXT = "16,32,64"  # as evals.<name>.classifier_widths says it


def _get(name, cache, tfds_dir="", steps=None, image_size=None, resize=None):
  spec = data.DATASETS.get(name)
  native = spec.native_size
  size = image_size or (32 if native == 28 else native)
  resize = resize or ("pad" if native == 28 else "bilinear")
  recipe = classifiers.RECIPES.get(name, classifiers.Recipe())
  import dataclasses
  recipe = dataclasses.replace(recipe, steps=steps or STEPS[name], widths=WIDTHS)

  def load(split):
    return data.load_split(name, split, cache_dir=cache, tfds_data_dir=tfds_dir)
  return classifiers.get(name, image_size=size, resize=resize, cache_dir=cache, load_split=load,
                         num_classes=spec.num_classes, recipe=recipe)


@pytest.fixture(scope="session")
def digit_classifier(offline_cache):
  with exclusive(os.path.join(offline_cache, "classifiers")):  # trained once, by one worker
    return _get("mnist", offline_cache)


@pytest.fixture(scope="session")
def shapes_classifier(shapes_tfds):
  """At 32x32 (area-resized), as the shapes GANs trained on this CPU see the images."""
  tfds_dir, cache = shapes_tfds
  with exclusive(os.path.join(cache, "classifiers")):
    return _get("shapes_small", cache, tfds_dir, image_size=32, resize="area")


def _as_the_gan_sees(images64):
  from gan_jax.data import pipeline
  x = pipeline.preprocess(images64, 32, "area")
  return np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def test_digit_classifier_reaches_98_percent_on_held_out_digits(digit_classifier):
  info = digit_classifier.info
  assert info["test_count"] == 1000 and info["score"] == "top-1 accuracy"
  assert info["test_score"] >= 0.98, info


def test_fashion_classifier_reaches_90_percent_on_the_10000_test_images(offline_cache):
  with exclusive(os.path.join(offline_cache, "classifiers")):
    clf = _get("fashion_mnist", offline_cache)
  assert clf.info["test_count"] == 10000
  assert clf.info["test_score"] >= 0.90, clf.info


def test_shapes_classifier_scores_095_on_real_test_images(shapes_classifier):
  info = shapes_classifier.info
  assert info["score"] == "top-k score" and info["test_count"] == 512
  assert info["test_score"] >= 0.95, info


def test_a_cached_classifier_is_loaded_not_retrained_and_a_damaged_one_says_what_to_do(
    digit_classifier, offline_cache, monkeypatch, tmp_path):
  def no_training(*a, **k):
    raise AssertionError("retrained a cached classifier")
  monkeypatch.setattr(classifiers.fit, "train_classifier", no_training)  # where the cache calls it
  again = _get("mnist", offline_cache)
  assert again.info["test_score"] == digit_classifier.info["test_score"]
  images = np.zeros((3, 32, 32, 1), np.uint8)
  np.testing.assert_allclose(again.logits(images), digit_classifier.logits(images), rtol=1e-6)
  # another preprocessing is another classifier (its own cache entry)
  with pytest.raises(AssertionError, match="retrained"):
    _get("mnist", offline_cache, image_size=28, resize="bilinear")
  # a damaged copy of the cache (the shared one stays whole for the other tests)
  import shutil
  cache = str(tmp_path / "cache")
  shutil.copytree(offline_cache, cache, ignore=shutil.ignore_patterns("*.lock"))
  path = os.path.join(cache, "classifiers", os.path.basename(digit_classifier.info["path"]))
  for root, _, files in os.walk(os.path.join(path, "variables")):
    for f in files:
      with open(os.path.join(root, f), "wb") as fh:
        fh.write(b"garbage")
  with pytest.raises(GanJaxError, match=f"cached classifier in {path} cannot be read.*delete"):
    _get("mnist", cache)


def _ctx(name, cache, tfds_dir="", kind="class", size=32, resize="pad"):
  """The context an experiment on ``name`` gives its evaluators: the data block's provider."""
  from configs import default
  block = configured(default.get_config(), {
      "data.name": name, "data.cache_dir": cache, "data.tfds_data_dir": tfds_dir,
      "data.image_size": size, "data.resize": resize}).data
  provider = DataProvider(block)
  return EvalContext(mesh=None, data=provider,
                     condition=Condition(kind, provider.spec.num_classes), cache_dir=cache)


def _cfg(**kw):
  import ml_collections
  return ml_collections.ConfigDict(dict(dict(every=0, final=True, num_samples=2, seed=0,
                                             batch_size=50, classifier_steps=0,
                                             classifier_widths=""), **kw))


def test_conditional_score_is_high_for_true_drawings_and_low_for_wrong_colours(
    shapes_classifier, shapes_tfds):
  tfds_dir, cache = shapes_tfds
  ev = conditions.ConditionalScore(
      _cfg(final_num_samples=2, lists="test,new_test", classifier_steps=STEPS["shapes_small"],
           classifier_widths=WIDTHS_TEXT),
      _ctx("shapes_small", cache, tfds_dir, "multi_hot", 32, "area"))
  ev.prepare()

  def draw(labels, recolour, reshape=0, extra=False):
    rng = np.random.default_rng(0)
    out = []
    for y in labels:
      objects, asked = [], list(np.flatnonzero(y))
      if extra:  # one object more, of a class not asked for
        asked.append(rng.choice(np.flatnonzero(y == 0)))
      for c in asked:
        shape = shapes.SHAPES[(c // 8 + reshape) % 3]
        colour = shapes.COLOUR_NAMES[(c + recolour) % 8]
        for _ in range(100):
          o = dict(shape=shape, colour=colour, x=float(rng.uniform(12, 52)),
                   y=float(rng.uniform(12, 52)), size=float(rng.uniform(6, 10)))
          if all(shapes._apart(o["x"], o["y"], 1.3 * o["size"], p) for p in objects):
            break
        objects.append(o)
      out.append(shapes.render(objects))
    return _as_the_gan_sees(np.stack(out))

  true = ev.evaluate(Samples(None, lambda y, seed, bs: draw(y, 0)), 0, True)
  wrong = ev.evaluate(Samples(None, lambda y, seed, bs: draw(y, 3)), 0, True)
  misshapen = ev.evaluate(Samples(None, lambda y, seed, bs: draw(y, 0, reshape=1)), 0, True)
  crowded = ev.evaluate(Samples(None, lambda y, seed, bs: draw(y, 0, extra=True)), 0, True)

  # diversity within a condition: fresh drawings vary as the data does; one drawing per
  # condition, whatever z, is collapse
  div = diversity.ConditionDiversity(
      _cfg(final_num_samples=4, lists="test", reference_split="train", reference_count=4000,
           reference_seed=0, duplicate_fraction=0.1, classifier_steps=STEPS["shapes_small"],
           classifier_widths=WIDTHS_TEXT),
      _ctx("shapes_small", cache, tfds_dir, "multi_hot", 32, "area"))
  div.prepare()
  varied = div.evaluate(Samples(None, lambda y, seed, bs: draw(y, 0)), 0, True)
  one = div.evaluate(Samples(None, lambda y, seed, bs: np.repeat(draw(y[::4], 0), 4, axis=0)),
                     0, True)
  assert 0.6 < varied.scalars["diversity_ratio"] < 1.6, varied.scalars
  assert one.scalars["diversity_ratio"] < 1e-3 and one.scalars["near_duplicates"] == 1.0
  assert varied.protocol["real"]["groups"] == 32
  assert true.scalars["score_test"] >= 0.9 and true.scalars["score_new_test"] >= 0.9, true
  assert wrong.scalars["score_test"] <= 0.2, wrong
  assert true.scalars["score_per_image_test"] >= 0.9
  # what the score misses: the asked colour in the wrong shape hits on the attribute only, the
  # right shape in the wrong colour on the object only; an object not asked for is seen
  t, w, m, c = (r.scalars for r in (true, wrong, misshapen, crowded))
  assert t["attribute_hit_test"] >= 0.9 and t["object_hit_test"] >= 0.9, t
  assert m["attribute_hit_test"] >= 0.9 and m["object_hit_test"] <= 0.75, m
  assert w["object_hit_test"] >= 0.9 and w["attribute_hit_test"] <= 0.4, w
  assert m["object_hit_test"] < m["chance_object_test"] + 0.1 < t["object_hit_test"], m
  np.testing.assert_allclose([t["chance_attribute_test"], t["chance_object_test"]],
                             [0.2712, 0.6061], atol=5e-4)
  assert t["asked_seen_test"] >= 0.9 and t["unasked_seen_test"] <= 0.1, t
  assert c["asked_seen_test"] >= 0.85 and 0.8 <= c["unasked_seen_test"] <= 1.2, c
  assert abs(t["objects_seen_test"] - t["objects_asked_test"]) <= 0.15, t
  assert abs(c["objects_seen_test"] - t["objects_asked_test"] - 1) <= 0.25, c
  np.testing.assert_allclose([true.scalars["chance_test"], true.scalars["chance_per_image_test"]],
                             [0.0968, 0.0846], atol=5e-4)
  assert true.num_samples == 2 * 32 * 2 and len(true.details["per_condition_test"]) == 32
  assert true.protocol["samples_per_condition"] == 2
  assert true.protocol["classifier"]["test_score"] == shapes_classifier.info["test_score"]


def test_class_accuracy_and_histogram_judge_real_digits_as_they_are(digit_classifier,
                                                                   offline_cache):
  ctx = _ctx("mnist", offline_cache)
  test = data.load_split("mnist", "test", cache_dir=offline_cache)
  images, labels = test.read(np.arange(len(test)))
  images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))  # as resize=pad gives them
  by_class = [images[labels == c] for c in range(10)]

  def with_labels(shift):
    def gen(y, seed, bs):
      return np.stack([by_class[(c + shift) % 10][i // 10 % 100] for i, c in enumerate(y)])
    return gen

  # the fixture's classifier (its budget), loaded from the cache
  acc = conditions.ClassAccuracy(_cfg(final_num_samples=500, classifier_steps=STEPS["mnist"],
                                                      classifier_widths=WIDTHS_TEXT),
                                 ctx)
  acc.prepare()
  right = acc.evaluate(Samples(None, with_labels(0)), 0, True)
  wrong = acc.evaluate(Samples(None, with_labels(1)), 0, True)
  assert right.scalars["accuracy"] >= 0.97 and wrong.scalars["accuracy"] <= 0.05
  assert set(right.details["per_class"]) == {str(c) for c in range(10)}
  assert right.scalars["worst_class_accuracy"] == min(right.details["per_class"].values())

  hist = classes.ClassHistogram(_cfg(final_num_samples=300, classifier_steps=STEPS["mnist"],
                                                       classifier_widths=WIDTHS_TEXT),
                                  ctx)
  threes = np.concatenate([by_class[3]] * 3)  # the subset's 100 test threes, 3 times
  only_threes = hist.evaluate(Samples(lambda n, s, b: (threes[:n], None), None), 7, True)
  counts = only_threes.details["histogram"]
  assert sum(counts.values()) == 300 and counts["3"] >= 0.95 * 300  # a 98%-accurate judge
  # a class is covered at >= 10% of a uniform share (3 of 300): stray misreadings may cover one
  assert only_threes.scalars["classes_covered"] == sum(v >= 3 for v in counts.values()) <= 2
  assert only_threes.scalars["kl_uniform"] > 0.9 * np.log(10)
  balanced = hist.evaluate(
      Samples(lambda n, s, b: (images[np.argsort(np.arange(1000) % 100)][:n], None), None),
      7, True)
  assert balanced.scalars["classes_covered"] == 10 and balanced.scalars["kl_uniform"] < 0.1
  png = balanced.images["histogram"]
  assert png.dtype == np.uint8 and png.ndim == 3 and png.shape[-1] == 3
  assert sum(balanced.details["histogram"].values()) == 300
  json.dumps(balanced.record())  # results.json can hold it



def test_classifier_fid_is_zero_for_the_reference_itself_and_large_for_one_digit(
    digit_classifier, offline_cache):

  from scipy import linalg
  test = data.load_split("mnist", "test", cache_dir=offline_cache)
  images, labels = test.read(np.arange(len(test)))
  images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))  # as resize=pad gives them
  ctx = _ctx("mnist", offline_cache)  # its reference: the test split padded to 32, as above
  ev = classes.ClassifierFID(
      _cfg(final_num_samples=1000, reference_split="test", reference_count=0,
           reference_seed=0, kid_subsets=10, kid_subset_size=200,
           classifier_steps=STEPS["mnist"], classifier_widths=WIDTHS_TEXT), ctx)
  ev.prepare()
  same = ev.evaluate(Samples(lambda n, s, b: (images[::-1][:n], None), None), 0, True)
  threes = np.concatenate([images[labels == 3]] * 10)[:1000]
  one_digit = ev.evaluate(Samples(lambda n, s, b: (threes[:n], None), None), 0, True)
  assert same.scalars["classifier_fid"] == pytest.approx(0.0, abs=1e-3)
  assert one_digit.scalars["classifier_fid"] > 100 * max(same.scalars["classifier_fid"], 1e-3)
  assert one_digit.scalars["classifier_kid"] > 0.01
  # against a direct computation from the classifier's features (scipy's sqrtm)
  f1, f2 = ev.classifier.features(threes), ev.classifier.features(images)
  assert f1.shape == (1000, 64 * 4 * 4)  # widths (16, 32, 64): 32 -> 4 after three poolings
  m1, m2 = f1.mean(0), f2.mean(0)
  c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
  direct = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real)
  assert one_digit.scalars["classifier_fid"] == pytest.approx(direct, rel=1e-3)
  assert one_digit.protocol["features"].endswith("(1024-d)")

def test_kl_and_coverage_of_a_histogram():
  np.testing.assert_allclose(classes.kl_to_uniform([5, 5, 5, 5]), 0.0)
  np.testing.assert_allclose(classes.kl_to_uniform([8, 0, 0, 0]), np.log(4))
  np.testing.assert_allclose(classes.kl_to_uniform([1, 3]),
                             0.25 * np.log(0.5) + 0.75 * np.log(1.5))
  # 10% of a uniform share (100 / 4 = 25 -> 2.5): 2 samples do not cover a class, 3 do
  assert classes.classes_covered([95, 2, 3, 0]) == 2


def test_an_uncached_judge_is_trained_at_its_first_use_not_before_training(
    offline_cache, monkeypatch, tmp_path):
  """``prepare`` (before the GAN's first step) checks and loads a cached judge but trains none;
  the first evaluation trains it, once; the next run's ``prepare`` loads it."""
  calls = []
  real = classifiers.fit.train_classifier

  def counting(*a, **k):
    calls.append(a[6])  # the recipe
    return real(*a, **k)

  monkeypatch.setattr(classifiers.fit, "train_classifier", counting)
  ctx = _ctx("mnist", offline_cache)
  ctx = EvalContext(**{**ctx.__dict__, "cache_dir": str(tmp_path)})  # a fresh classifier cache
  cfg = _cfg(final_num_samples=1, classifier_steps=3, classifier_widths="4")
  ev = conditions.ClassAccuracy(cfg, ctx)
  ev.prepare()
  assert calls == [] and ev._classifier is None
  clf = ev.classifier
  assert [r.steps for r in calls] == [3] and clf.info["recipe"]["widths"] == [4]
  again = conditions.ClassAccuracy(cfg, ctx)
  again.prepare()
  assert len(calls) == 1 and again._classifier is not None
  assert again.classifier.info["path"] == clf.info["path"]


def test_an_evaluator_on_the_wrong_kind_of_labels_is_a_clear_error(offline_cache):
  from gan_jax.utils.errors import ConfigError
  ev = conditions.ConditionalScore(_cfg(final_num_samples=1, lists="test"),
                                   _ctx("mnist", offline_cache))
  with pytest.raises(ConfigError, match="conditional_score needs a dataset with multi_hot"):
    ev.prepare()
  ctx = _ctx("mnist", offline_cache)
  ctx = EvalContext(**{**ctx.__dict__, "condition": Condition()})
  with pytest.raises(ConfigError, match="class_accuracy judges a conditional generator"):
    conditions.ClassAccuracy(_cfg(final_num_samples=1), ctx).prepare()
  with pytest.raises(ConfigError, match="classifier_widths must be positive integers.*'16,x'"):
    conditions.ClassAccuracy(_cfg(final_num_samples=1, classifier_widths="16,x"),
                             _ctx("mnist", offline_cache)).prepare()


def test_a_training_run_ends_with_the_classifier_evaluators_in_results_and_figures(
    test_config, tmp_path):
  """cGAN on the synthetic shapes: class accuracy and the class histogram at the end, their
  classifier trained at its first use (the first evaluation), figures in evals/."""
  from gan_jax.training import train
  from gan_jax.utils import parallel
  c = test_config
  c.model.conditional = True
  c.data.cache_dir = str(tmp_path / "cache")
  for name in ("class_accuracy", "class_histogram"):
    ev = c.evals[name]
    ev.final, ev.final_num_samples, ev.classifier_steps, ev.batch_size = True, 40, 30, 20
  train.train_and_evaluate(c, str(tmp_path / "run"), parallel.make_mesh(1))
  with open(tmp_path / "run" / "results.json") as f:
    results = {r["evaluator"]: r for r in json.load(f)}
  assert set(results) == {"class_accuracy", "class_histogram"}
  acc = results["class_accuracy"]
  assert 0 <= acc["accuracy"] <= 1 and set(acc["details"]["per_class"]) == {"disc", "square"}
  assert acc["protocol"]["classifier"]["recipe"]["steps"] == 30
  assert sum(results["class_histogram"]["details"]["histogram"].values()) == 40
  assert os.listdir(tmp_path / "run" / "evals") == ["class_histogram_histogram_step000012.png"]
  assert len(os.listdir(tmp_path / "cache" / "classifiers")) == 1  # one classifier, shared


def test_within_group_diversity_equals_a_direct_computation():
  rng = np.random.default_rng(0)
  groups = [rng.normal(size=(n, 5)) for n in (2, 4, 7)]
  direct = [np.mean([np.linalg.norm(g[i] - g[j]) for i in range(len(g))
                     for j in range(i + 1, len(g))]) for g in groups]
  pairs = np.concatenate([[np.linalg.norm(g[i] - g[j]) for i in range(len(g))
                           for j in range(i + 1, len(g))] for g in groups])
  out = diversity.within_group_diversity(groups, threshold=2.5)
  np.testing.assert_allclose(out["per_group"], direct, rtol=1e-9)
  np.testing.assert_allclose(out["mean"], np.mean(direct), rtol=1e-9)
  assert out["near_duplicates"] == pytest.approx(np.mean(pairs < 2.5))
  with pytest.raises(GanJaxError, match="at least 2"):
    diversity.within_group_diversity([rng.normal(size=(1, 5))])


def test_condition_diversity_is_one_for_real_digits_and_zero_for_a_collapsed_generator(
    digit_classifier, offline_cache):
  ctx = _ctx("mnist", offline_cache)
  test = data.load_split("mnist", "test", cache_dir=offline_cache)
  images, labels = test.read(np.arange(len(test)))
  images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))  # as resize=pad gives them
  by_class = [images[labels == c] for c in range(10)]
  ev = diversity.ConditionDiversity(
      _cfg(final_num_samples=20, reference_split="test", reference_count=0, reference_seed=0,
           duplicate_fraction=0.1, lists="", classifier_steps=STEPS["mnist"],
           classifier_widths=WIDTHS_TEXT), ctx)
  ev.prepare()

  def varied(y, seed, bs):   # sample i of class c: a different test digit c each time
    return np.stack([by_class[c][50 + i % 20] for i, c in enumerate(y)])

  def collapsed(y, seed, bs):  # one image per class, whatever z
    return np.stack([by_class[c][0] for c in y])

  real_like = ev.evaluate(Samples(None, varied), 0, True)
  mode = ev.evaluate(Samples(None, collapsed), 0, True)
  s = real_like.scalars
  assert 0.8 < s["diversity_ratio"] < 1.25 and s["near_duplicates"] < 0.02, s
  assert mode.scalars["diversity_ratio"] < 1e-3 and mode.scalars["near_duplicates"] == 1.0
  assert mode.scalars["diversity_real"] == s["diversity_real"] > 0
  assert real_like.num_samples == 200 and len(real_like.details["per_condition"]) == 10
  assert real_like.protocol["samples_per_condition"] == 20
  json.dumps(real_like.record())
