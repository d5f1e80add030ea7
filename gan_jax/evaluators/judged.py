"""Evaluators that judge samples with a classifier trained in the repo (``gan_jax.classifiers``,
trained on the training dataset at the GAN's own preprocessing, once, on first use):

* ``conditional_score`` (multi-hot conditions, the i-CLEVR conditional-DCGAN report's score):
  for each condition of a fixed list (the shapes dataset's ``test`` and ``new_test``), samples
  generated for it; for a condition with k objects the classifier's top-k classes are taken
  and the condition's objects among them are hits. ``score_<list>`` is all hits over all
  objects (the i-CLEVR course's evaluator, which the report's 0.70 / 0.71 come from);
  ``score_per_image_<list>`` averages each sample's hits / k (an image of one object weighs
  as much as one of three). ``chance_<list>`` / ``chance_per_image_<list>`` are what a judge
  ranking classes at random scores on the list. ``num_samples`` / ``final_num_samples`` are
  samples per condition (the report drew one).
* ``class_accuracy`` (class-conditional): samples with balanced labels (sample i asks for
  class i mod K); how often the classifier's top-1 agrees with the asked class, overall and
  per class.
* ``class_histogram`` (any generator of a dataset with classes; the DCGAN-vs-MLP MNIST
  study's mode-collapse analysis): samples drawn as in training, classified; the histogram
  (PNG and counts), its KL divergence to the uniform distribution and the number of classes
  covered (classes holding at least 10% of a uniform share, so a mode hit only by chance
  does not count).

* ``classifier_fid`` (any generator of a dataset with labels): the Frechet distance (and
  KID) between generated samples and the reference split in the classifier's feature space
  (the flattened last convolutional features), the usual advice for MNIST-like data, on
  which Inception's ImageNet features are a poor fit.

Every result records the classifier (its recipe, held-out score and path) in its protocol.
"""

import dataclasses
import io
import time

import numpy as np
from absl import logging

from gan_jax import classifiers
from gan_jax.evaluators.base import EVALUATORS, EvalResult, Evaluator
from gan_jax.metrics.topk import topk_chance, topk_hits
from gan_jax.utils.errors import ConfigError

COVERED_SHARE = 0.1  # a class is covered when it holds >= 10% of a uniform share


class ClassifierEvaluator(Evaluator):
  label_kinds: tuple[str, ...] = ("class",)
  conditional: bool | None = None  # True: needs a conditional generator; None: either

  def __init__(self, cfg, ctx, name=None):
    super().__init__(cfg, ctx, name)
    self._classifier = None

  def _check(self):
    spec, cond = self.ctx.spec, self.ctx.condition
    if spec is None or spec.label_kind not in self.label_kinds:
      kind = getattr(spec, "label_kind", "none")
      raise ConfigError(f"evals.{self.name} needs a dataset with {' or '.join(self.label_kinds)} "
                        f"labels; {self.ctx.dataset['name']!r} has {kind!r}.")
    if self.conditional and not cond.active:
      raise ConfigError(f"evals.{self.name} judges a conditional generator: set "
                        "model.conditional=True, or use evals.class_histogram.")

  def _request(self) -> dict:
    """What ``classifiers.get`` needs for this judge: dataset, preprocessing, recipe."""
    self._check()
    d = self.ctx.dataset
    recipe = classifiers.RECIPES.get(d["name"], classifiers.Recipe())
    if self.cfg.classifier_steps > 0:
      recipe = dataclasses.replace(recipe, steps=int(self.cfg.classifier_steps))
    if self.cfg.classifier_widths:
      recipe = dataclasses.replace(
          recipe, widths=classifiers.parse_widths(self.cfg.classifier_widths))
    return dict(image_size=d["image_size"], resize=d["data_resize"],
                crop=self.ctx.data.cfg.crop, fit=self.ctx.data.cfg.fit,
                splits=tuple(self.ctx.spec.judge_splits), cache_dir=self.ctx.cache_dir,
                load_split=self.ctx.data.load_split, num_classes=self.ctx.spec.num_classes,
                recipe=recipe)

  @property
  def classifier(self) -> classifiers.Classifier:
    """The judge: loaded from the cache, or trained now (once) on first use."""
    if self._classifier is None:
      self._classifier = classifiers.get(self.ctx.dataset["name"], **self._request())
    return self._classifier

  def prepare(self):
    """Checks the config and the data and loads a cached judge; an uncached one is trained at
    the first evaluation, so training starts at once."""
    request = self._request()
    if self._classifier is None:
      self._classifier = classifiers.get(self.ctx.dataset["name"], train=False, **request)
    if self._classifier is None:
      logging.info("The %s judge classifier of evals.%s is not cached yet: it is trained at "
                   "the first evaluation (%d steps, once).", self.ctx.dataset["name"],
                   self.name, request["recipe"].steps)

  def protocol(self, **extra) -> dict:
    return {"classifier": self.classifier.protocol(), "generator_noise_seed": self.cfg.seed,
            "generator_noise": "sample i: fold_in(PRNGKey(seed), i)", **extra}

  def result(self, step, final, scalars, protocol, t0, num, details=None, images=None):
    return EvalResult(self.name, step, final, {k: float(v) for k, v in scalars.items()},
                      protocol, round(time.time() - t0, 1), num, details or {}, images or {})


@EVALUATORS.register("conditional_score")
class ConditionalScore(ClassifierEvaluator):
  name = "conditional_score"
  label_kinds = ("multi_hot",)
  conditional = True

  @property
  def classifier(self):
    """The course's evaluator when ``judge`` names its checkpoint, else the in-repo judge."""
    if self.cfg.get("judge") and self._classifier is None:
      from gan_jax.classifiers.course import CourseJudge
      self._classifier = CourseJudge(self.cfg.judge)
      if self._classifier.info["num_classes"] != self.ctx.spec.num_classes:
        raise ConfigError(f"evals.conditional_score.judge={self.cfg.judge!r} judges "
                          f"{self._classifier.info['num_classes']} objects, the dataset has "
                          f"{self.ctx.spec.num_classes}.")
    return super().classifier

  def lists(self) -> list[str]:
    names = [n.strip() for n in self.cfg.lists.split(",") if n.strip()]
    if self.ctx.spec.condition_lists is None:
      raise ConfigError(f"{self.ctx.dataset['name']!r} has no condition lists for "
                        "evals.conditional_score (an image folder takes them from "
                        "<folder>/conditions/<list>.json, docs/data.md); or turn it off: "
                        "--config.evals.conditional_score.final=False "
                        "--config.evals.conditional_score.every=0.")
    for n in names:
      self.ctx.spec.condition_lists(n)  # an unknown name fails here, at start-up
    return names

  def prepare(self):
    self._check()
    self.lists()
    if self.cfg.get("judge"):
      self.classifier  # noqa: B018  (a missing or wrong file fails here, at start-up)
      return
    super().prepare()

  def evaluate(self, generate, step, final):
    t0 = time.time()
    per = self.cfg.final_num_samples if final else self.cfg.num_samples
    scalars, details, total = {}, {}, 0
    for name in self.lists():
      conds = self.ctx.spec.condition_lists(name)
      labels = np.repeat(conds, per, axis=0)  # each condition `per` times, in a row
      images = generate.with_labels(labels, self.cfg.seed, self.cfg.batch_size)
      logits = self.classifier.logits(images)
      hits, k = (np.asarray(a, np.float64) for a in topk_hits(logits, labels))
      per_sample = (hits / np.maximum(k, 1)).reshape(len(conds), per)
      chance = topk_chance(conds, self.ctx.spec.num_classes)
      scalars[f"score_{name}"] = float(hits.sum() / max(k.sum(), 1))
      scalars[f"score_per_image_{name}"] = float(per_sample.mean())
      scalars[f"chance_{name}"] = chance["objects"]
      scalars[f"chance_per_image_{name}"] = chance["images"]
      details[f"per_condition_{name}"] = [round(float(v), 4) for v in per_sample.mean(1)]
      total += len(labels)
    protocol = self.protocol(
        lists=self.lists(), samples_per_condition=per,
        score="top-k of the classifier, k = objects in the condition; score_<list>: all hits / "
              "all objects (the i-CLEVR course's evaluator, comparable to the report's 0.70); "
              "score_per_image_<list>: the mean of each sample's hits / k")
    return self.result(step, final, scalars, protocol, t0, total, details)


@EVALUATORS.register("class_accuracy")
class ClassAccuracy(ClassifierEvaluator):
  name = "class_accuracy"
  conditional = True

  def evaluate(self, generate, step, final):
    t0 = time.time()
    num = self.cfg.final_num_samples if final else self.cfg.num_samples
    k = self.ctx.spec.num_classes
    labels = np.arange(num, dtype=np.int32) % k
    images = generate.with_labels(labels, self.cfg.seed, self.cfg.batch_size)
    pred = np.argmax(self.classifier.logits(images), -1)
    per_class = [float(np.mean(pred[labels == c] == c)) for c in range(k)]
    scalars = {"accuracy": float(np.mean(pred == labels)),
               "worst_class_accuracy": min(per_class)}
    details = {"per_class": {self.ctx.spec.class_name(c): round(a, 4)
                             for c, a in enumerate(per_class)}}
    protocol = self.protocol(labels="sample i asks for class i mod K")
    return self.result(step, final, scalars, protocol, t0, num, details)


def kl_to_uniform(counts) -> float:
  """KL(p || uniform) of the histogram ``counts`` (0 log 0 = 0), in nats."""
  p = np.asarray(counts, np.float64) / max(np.sum(counts), 1)
  nz = p > 0
  return float(np.sum(p[nz] * np.log(p[nz] * len(p))))


def classes_covered(counts) -> int:
  counts = np.asarray(counts)
  return int(np.sum(counts >= COVERED_SHARE * counts.sum() / len(counts)))


def histogram_png(counts, names, title: str) -> np.ndarray:
  """A bar chart of ``counts`` as uint8 RGB."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  from PIL import Image
  fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
  ax.bar(range(len(counts)), counts, color="#4477aa")
  ax.axhline(np.sum(counts) / len(counts), color="k", lw=0.8, ls="--", label="uniform")
  ax.set_xticks(range(len(counts)), names, rotation=45 if max(map(len, names)) > 2 else 0,
                ha="right" if max(map(len, names)) > 2 else "center", fontsize=7)
  ax.set_ylabel("samples")
  ax.set_title(title, fontsize=9)
  ax.legend(fontsize=7)
  fig.tight_layout()
  buf = io.BytesIO()
  fig.savefig(buf, format="png")
  plt.close(fig)
  buf.seek(0)
  return np.asarray(Image.open(buf).convert("RGB"))


@EVALUATORS.register("class_histogram")
class ClassHistogram(ClassifierEvaluator):
  name = "class_histogram"

  def evaluate(self, generate, step, final):
    t0 = time.time()
    num = self.cfg.final_num_samples if final else self.cfg.num_samples
    images, _ = generate(num, self.cfg.seed, self.cfg.batch_size)
    k = self.ctx.spec.num_classes
    counts = np.bincount(np.argmax(self.classifier.logits(images), -1), minlength=k)
    names = [self.ctx.spec.class_name(c) for c in range(k)]
    scalars = {"kl_uniform": kl_to_uniform(counts), "classes_covered": classes_covered(counts)}
    details = {"histogram": {n: int(c) for n, c in zip(names, counts)}}
    fig = histogram_png(counts, names, f"{num} samples at step {step}, classified: "
                        f"KL to uniform {scalars['kl_uniform']:.3f}")
    protocol = self.protocol(covered=f"classes with >= {COVERED_SHARE:g} x N/K samples",
                             samples="drawn as in training (z, and labels if conditional)")
    return self.result(step, final, scalars, protocol, t0, num, details, {"histogram": fig})


@EVALUATORS.register("classifier_fid")
class ClassifierFID(ClassifierEvaluator):
  name = "classifier_fid"
  label_kinds = ("class", "multi_hot")

  def __init__(self, cfg, ctx, name=None):
    super().__init__(cfg, ctx, name)
    self._reference = None

  def reference(self):
    if self._reference is None:
      c = self.cfg
      from gan_jax.metrics import features as feature_stats
      images, what = self.ctx.data.reference_images(c.reference_split, c.reference_count,
                                               c.reference_seed)
      feats = self.classifier.features(images)
      self._reference = feats, feature_stats.statistics(feats), what
    return self._reference

  def evaluate(self, generate, step, final):
    from gan_jax.metrics import features as feature_stats
    from gan_jax.metrics import stats
    t0 = time.time()
    c = self.cfg
    num = c.final_num_samples if final else c.num_samples
    ref, (mu_r, sigma_r), what = self.reference()
    images, _ = generate(num, c.seed, c.batch_size)
    feats = self.classifier.features(images)
    mu, sigma = feature_stats.statistics(feats)
    fid, info = stats.frechet_distance(mu, sigma, mu_r, sigma_r)
    kid = stats.kernel_inception_distance(feats, ref, c.kid_subsets, c.kid_subset_size)
    protocol = self.protocol(
        features=f"the classifier's flattened last convolutional features ({feats.shape[1]}-d)",
        num_generated=num, reference={"split": c.reference_split, "count": len(ref),
                                      "source": what},
        kid={"subsets": c.kid_subsets, "max_subset_size": c.kid_subset_size},
        fid_eps_fix=info["eps_fix"], samples="drawn as in training (z, and labels if conditional)")
    return self.result(step, final, {"classifier_fid": fid, "classifier_kid": kid}, protocol,
                       t0, num)


def pairwise_distances(feats) -> np.ndarray:
  """The Euclidean distances of every unordered pair of rows of ``feats`` (n (n - 1) / 2)."""
  f = np.asarray(feats, np.float64)
  sq = np.sum(f * f, 1)
  d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * f @ f.T, 0.0)
  return np.sqrt(d2[np.triu_indices(len(f), 1)])


def within_group_diversity(groups, threshold: float | None = None) -> dict:
  """For groups of feature rows (one per condition, >= 2 rows each): ``per_group`` mean
  pairwise distance, ``mean`` over the groups, and, given ``threshold``, ``near_duplicates``,
  the fraction of all within-group pairs closer than it."""
  dists = [pairwise_distances(g) for g in groups if len(g) >= 2]
  if not dists:
    raise ConfigError("within-condition diversity needs a condition with at least 2 images.")
  out = {"per_group": [float(d.mean()) for d in dists]}
  out["mean"] = float(np.mean(out["per_group"]))
  if threshold is not None:
    out["near_duplicates"] = float(np.mean(np.concatenate(dists) < threshold))
  return out


@EVALUATORS.register("condition_diversity")
class ConditionDiversity(ClassifierEvaluator):
  """Diversity within a condition (collapse in z of a conditional model): for each condition
  (every class; the multi-hot dataset's condition ``lists``), ``num_samples`` /
  ``final_num_samples`` samples with their own z; the mean pairwise distance of their
  classifier features, averaged over the conditions (``diversity``), beside the same for
  real images sharing a condition (``diversity_real``: the ``reference_split`` images of
  each class; for multi-hot data, for each listed condition the reference images with
  exactly its labels, or another group with as many labels on where fewer than 2 have them;
  at most as many images each as samples) and their ratio
  (``diversity_ratio``, 1 = as varied as the data, 0 = one image per condition).
  ``near_duplicates`` is the fraction of generated pairs within a condition closer than
  ``duplicate_fraction`` x ``diversity_real`` (``near_duplicates_real`` the same for the
  real groups)."""
  name = "condition_diversity"
  label_kinds = ("class", "multi_hot")
  conditional = True

  def __init__(self, cfg, ctx, name=None):
    super().__init__(cfg, ctx, name)
    self._real = None

  def conditions(self) -> np.ndarray:
    spec = self.ctx.spec
    if spec.label_kind == "class":
      return np.arange(spec.num_classes, dtype=np.int32)
    if spec.condition_lists is None:
      raise ConfigError(f"{self.ctx.dataset['name']!r} has no condition lists for "
                        f"evals.{self.name}.")
    names = [n.strip() for n in self.cfg.lists.split(",") if n.strip()]
    return np.concatenate([np.asarray(spec.condition_lists(n), np.float32) for n in names])

  def prepare(self):
    self._check()
    if not self.cfg.duplicate_fraction > 0:
      raise ConfigError(f"evals.{self.name}.duplicate_fraction must be > 0.")
    if min(self.cfg.num_samples, self.cfg.final_num_samples) < 2:
      raise ConfigError(f"evals.{self.name}: at least 2 samples per condition.")
    self.conditions()
    super().prepare()

  def real_groups(self, per: int):
    """Feature groups of real images sharing a condition, and how they were chosen."""
    if self._real is None:
      c = self.cfg
      images, labels, what = self.ctx.data.labelled_reference(
          c.reference_split, c.reference_count, c.reference_seed)
      if self.ctx.spec.label_kind == "class":
        keys = labels.astype(np.int64)
        groups = [np.flatnonzero(keys == k) for k in np.unique(keys)]
        groups = [g for g in groups if len(g) >= 2]
      else:
        groups = self._matching_groups(np.asarray(labels) > 0.5)
      feats = self.classifier.features(images)
      self._real = ([feats[g] for g in groups], what, len(groups))
    groups, what, n = self._real
    return [g[:per] for g in groups], what, n

  def _matching_groups(self, labels) -> list[np.ndarray]:
    """For each listed condition, the reference images with exactly its labels when 2 or
    more have them; else the largest unused group of images sharing another condition with
    as many labels on (so the groups hold as many objects as the conditions)."""
    vectors, keys = np.unique(labels, axis=0, return_inverse=True)
    keys = keys.reshape(-1)
    members = {k: np.flatnonzero(keys == k) for k in range(len(vectors))}
    index = {v.tobytes(): k for k, v in enumerate(vectors)}
    used, groups = set(), []
    for cond in self.conditions() > 0.5:
      k = index.get(cond.tobytes())
      if k is None or k in used or len(members[k]) < 2:
        same = [j for j in members if j not in used and len(members[j]) >= 2
                and vectors[j].sum() == cond.sum()]
        k = max(same, key=lambda j: len(members[j]), default=None)
      if k is not None:
        used.add(k)
        groups.append(members[k])
    return groups

  def evaluate(self, generate, step, final):
    t0 = time.time()
    c = self.cfg
    per = c.final_num_samples if final else c.num_samples
    conds = self.conditions()
    labels = np.repeat(conds, per, axis=0)
    images = generate.with_labels(labels, c.seed, c.batch_size)
    feats = self.classifier.features(images)
    gen_groups = [feats[i * per:(i + 1) * per] for i in range(len(conds))]
    real_groups, what, n_real = self.real_groups(per)
    real = within_group_diversity(real_groups)
    threshold = c.duplicate_fraction * real["mean"]
    real = within_group_diversity(real_groups, threshold)
    gen = within_group_diversity(gen_groups, threshold)
    scalars = {"diversity": gen["mean"], "diversity_real": real["mean"],
               "diversity_ratio": gen["mean"] / max(real["mean"], 1e-12),
               "near_duplicates": gen["near_duplicates"],
               "near_duplicates_real": real["near_duplicates"]}
    details = {"per_condition": [round(v, 4) for v in gen["per_group"]]}
    protocol = self.protocol(
        conditions=(f"every class ({len(conds)})" if self.ctx.spec.label_kind == "class"
                    else f"lists {c.lists} ({len(conds)})"),
        samples_per_condition=per,
        distance="Euclidean, the classifier's flattened last convolutional features",
        real={"split": c.reference_split, "source": what, "groups": n_real,
              "images_per_group": f"at most {per}"},
        near_duplicate=f"distance < {c.duplicate_fraction} x diversity_real")
    return self.result(step, final, scalars, protocol, t0, len(labels), details)
