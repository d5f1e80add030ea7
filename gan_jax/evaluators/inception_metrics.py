"""FID and KID, improved precision and recall, density and coverage (``prdc_k`` > 0; the
same Inception features), and the Inception Score (with weights that have logits) of the
generator against a seeded random subset of a split of the training dataset.

Config block ``config.evals.fid``: ``every`` (steps, 0 = off) on ``num_samples`` samples,
``final`` at the end of training on ``final_num_samples``; the reference is
``reference_count`` images of ``reference_split`` drawn with ``reference_seed``; generated
samples are drawn with ``seed`` (sample i from (seed, i) alone). Every result records the
whole protocol.
"""

import time

from gan_jax.evaluators.base import EVALUATORS, EvalResult, Evaluator
from gan_jax.metrics import features, prdc
from gan_jax.metrics import stats as fid_stats


@EVALUATORS.register("fid")
class FIDEvaluator(Evaluator):
  """FID, KID, precision / recall / density / coverage and IS on Inception-v3 features."""
  name = "fid"
  inherits = "fid"  # another block of type fid, or intra_fid, shares the Inception settings

  def __init__(self, cfg, ctx, name=None):
    super().__init__(cfg, ctx, name)
    self.cache_dir = cfg.cache_dir or ctx.cache_dir
    self._extractor = None

  @property
  def extractor(self) -> features.FeatureExtractor:
    if self._extractor is None:
      c = self.cfg
      self._extractor = features.FeatureExtractor(
          self.ctx.mesh, self.cache_dir, c.weights or None, c.resize, c.batch_size,
          allow_unverified=c.allow_unverified_weights)
      if c.inception_score:
        self._extractor.require_logits("evals.fid.inception_score=True")
    return self._extractor

  def prepare(self):
    _ = self.extractor  # loads (or fetches) the Inception weights now

  def reference(self) -> dict:
    c, d = self.cfg, self.ctx.dataset
    key = {"dataset": d["name"], "split": c.reference_split, "count": c.reference_count,
           "subset_seed": c.reference_seed, "image_size": d["image_size"],
           "data_resize": d["data_resize"]}
    return features.cached_features(
        self.extractor, key, self.cache_dir,
        lambda: self.ctx.data.reference_images(c.reference_split, c.reference_count,
                                               c.reference_seed),
        f"{d['name']}/{c.reference_split}")

  def evaluate(self, generate, step: int, final: bool) -> EvalResult:
    c = self.cfg
    num = c.final_num_samples if final else c.num_samples
    t0 = time.time()
    ref = self.reference()
    bs, what = self.extractor.batch_size, f"{num} generated samples"
    stream = getattr(generate, "stream", None)
    if stream is not None:  # sampling overlaps the feature extraction
      feats = self.extractor.of_batches((x for x, _ in stream(num, c.seed, bs)), num, what)
    else:
      feats = self.extractor(generate(num, c.seed, bs)[0], what)
    result = features.compare(feats, ref, c.kid_subsets, c.kid_subset_size)
    scalars = {"fid": result["fid"], "kid": result["kid"]}
    protocol = {
        **self.extractor.protocol(), "num_generated": num, "generator_noise_seed": c.seed,
        "generator_noise": "sample i: fold_in(PRNGKey(seed), i)",
        "fid_eps_fix": result["fid_eps_fix"],
        "reference": {**{k: self.ctx.dataset[k] for k in ("name", "image_size", "data_resize")},
                      "split": c.reference_split, "count": ref["n"],
                      "subset": (f"random, seed {c.reference_seed}" if c.reference_count > 0
                                 else "whole split"), "source": ref["source"]},
        "kid": {"subsets": c.kid_subsets, "max_subset_size": c.kid_subset_size}}
    if c.prdc_k > 0:
      scalars.update(prdc.prdc(ref["features"], feats, c.prdc_k))
      protocol["prdc"] = {"k": c.prdc_k, "features": "the same Inception pool features",
                          "real": ref["n"], "fake": num,
                          "definition": "Kynkaanniemi et al. 2019 (precision, recall); "
                                        "Naeem et al. 2020 (density, coverage)"}
    if c.inception_score:
      scalars["inception_score"], scalars["inception_score_std"] = fid_stats.inception_score(
          self.extractor.logits(feats), c.is_splits)
      protocol["inception_score"] = {"splits": c.is_splits, "logits": features.IS_LOGITS}
    return EvalResult(self.name, step, final, {k: float(v) for k, v in scalars.items()},
                      protocol, round(time.time() - t0, 1), num)



@EVALUATORS.register("intra_fid")
class IntraFIDEvaluator(FIDEvaluator):
  """Intra-class FID (Miyato & Koyama 2018): the mean over classes of each class's FID.

  Intra-class FID of a class-conditional generator: for each class,
  the FID of samples generated for it against the reference split's images of that class;
  reported: the mean over classes (``intra_fid``), the worst class, and each class in
  ``details``. ``num_samples`` / ``final_num_samples`` are samples per class; the reference
  is every image of the class in ``reference_split`` (``reference_count`` caps the split
  before it is divided into classes). Shares the Inception network and weights of ``fid``."""
  name = "intra_fid"

  def prepare(self):
    if not self.ctx.condition.active or self.ctx.condition.kind != "class":
      from gan_jax.utils.errors import ConfigError
      raise ConfigError("evals.intra_fid needs a class-conditional model "
                        "(model.conditional=True on a dataset with class labels).")
    super().prepare()

  def class_references(self) -> list[dict]:
    c, d = self.cfg, self.ctx.dataset
    cached = {}

    def load():
      if "all" not in cached:
        cached["all"] = self.ctx.data.labelled_reference(c.reference_split, c.reference_count,
                                                    c.reference_seed)
      return cached["all"]

    refs = []
    for k in range(self.ctx.condition.num_classes):
      key = {"dataset": d["name"], "split": c.reference_split, "count": c.reference_count,
             "subset_seed": c.reference_seed, "image_size": d["image_size"],
             "data_resize": d["data_resize"], "class": k}

      def images_of(k=k):
        images, labels, what = load()
        return images[labels == k], f"{what}; class {k}"
      refs.append(features.cached_features(self.extractor, key, self.cache_dir, images_of,
                                           f"{d['name']}/{c.reference_split}/class{k}"))
    return refs

  def evaluate(self, generate, step: int, final: bool) -> EvalResult:
    import numpy as np
    c = self.cfg
    per = c.final_num_samples if final else c.num_samples
    t0 = time.time()
    refs = self.class_references()
    fids = []
    for k, ref in enumerate(refs):
      images = generate.with_labels(np.full(per, k, np.int32), c.seed + k,
                                    self.extractor.batch_size)
      feats = self.extractor(images, f"{per} samples of class {k}")
      fids.append(float(features.compare(feats, ref, 1, min(per, ref["n"]))["fid"]))
    names = [self.ctx.spec.class_name(k) if self.ctx.spec else str(k) for k in range(len(refs))]
    protocol = {**self.extractor.protocol(), "samples_per_class": per,
                "generator_noise": "class k: sample i from fold_in(PRNGKey(seed + k), i)",
                "generator_noise_seed": c.seed,
                "reference": {"split": c.reference_split,
                              "per_class_counts": [r["n"] for r in refs],
                              "source": refs[0]["source"]}}
    return EvalResult(self.name, step, final,
                      {"intra_fid": float(np.mean(fids)), "intra_fid_worst": max(fids)},
                      protocol, round(time.time() - t0, 1), per * len(refs),
                      {"per_class": {n: round(f, 3) for n, f in zip(names, fids)}})
