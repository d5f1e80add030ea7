"""Judged on the asked condition: ``conditional_score`` (multi-hot conditions, the i-CLEVR
conditional-DCGAN report's score) and ``class_accuracy`` (class-conditional); see
``judge.py`` for what each reports."""

import time

import numpy as np

from gan_jax.evaluators.base import EVALUATORS
from gan_jax.evaluators.judge import ClassifierEvaluator
from gan_jax.metrics.topk import topk_chance, topk_hits, word_chance, word_hits
from gan_jax.utils.errors import ConfigError

@EVALUATORS.register("conditional_score")
class ConditionalScore(ClassifierEvaluator):
  """The i-CLEVR report's top-k score of samples for fixed lists of multi-hot conditions."""
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
      scalars.update(self._what_is_missed(name, np.asarray(logits), labels, k.sum()))
      total += len(labels)
    protocol = self.protocol(
        lists=self.lists(), samples_per_condition=per, seen="an object the judge's output "
        f"for its class exceeds {self.classifier.present_above} (its decision threshold)",
        score="top-k of the classifier, k = objects in the condition; score_<list>: all hits / "
              "all objects (the i-CLEVR course's evaluator, comparable to the report's 0.70); "
              "score_per_image_<list>: the mean of each sample's hits / k")
    return self.result(step, final, scalars, protocol, t0, total, details)

  def _what_is_missed(self, name, out, labels, objects) -> dict:
    """What the score misses: ``asked_seen_<list>``, the fraction of asked objects the judge
    sees, ``unasked_seen_<list>``, the objects per sample it sees that were not asked for
    (an object drawn in the wrong shape, or one added), and ``objects_seen_<list>`` beside
    ``objects_asked_<list>``, the objects per sample it sees and the list asks for. For class names "<attribute>
    <object>" (colour and shape), ``attribute_hit_<list>`` / ``object_hit_<list>``: how often
    an asked object's attribute / object word is among the top-k labels, beside a random
    judge's ``chance_attribute_<list>`` / ``chance_object_<list>``."""
    seen = out > self.classifier.present_above
    asked = labels > 0
    res = {f"asked_seen_{name}": float((seen & asked).sum() / max(objects, 1)),
           f"unasked_seen_{name}": float((seen & ~asked).sum(-1).mean()),
           f"objects_seen_{name}": float(seen.sum(-1).mean()),
           f"objects_asked_{name}": float(asked.sum(-1).mean())}
    names = self.ctx.spec.class_names
    if len(names) == labels.shape[-1] and all(len(n.split()) >= 2 for n in names):
      hits, chance = word_hits(out, labels, names), word_chance(labels, names)
      for part in ("attribute", "object"):
        res[f"{part}_hit_{name}"] = float(hits[part].sum() / max(objects, 1))
        res[f"chance_{part}_{name}"] = chance[part]
    return res


@EVALUATORS.register("class_accuracy")
class ClassAccuracy(ClassifierEvaluator):
  """How often the judge's top-1 class is the class a class-conditional sample asked for."""
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
