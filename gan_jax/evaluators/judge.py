"""The base of the evaluators that judge samples with a classifier trained in the repo (``gan_jax.classifiers``,
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

The families: ``conditions.py`` (conditional_score, class_accuracy), ``classes.py``
(class_histogram, classifier_fid), ``diversity.py`` (condition_diversity).
"""

import dataclasses
import time

from absl import logging

from gan_jax import classifiers
from gan_jax.evaluators.base import EvalResult, Evaluator
from gan_jax.utils.errors import ConfigError


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
