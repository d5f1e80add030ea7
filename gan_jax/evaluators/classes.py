"""The class mix and the judge's feature space: ``class_histogram`` (the DCGAN-vs-MLP MNIST
study's mode-collapse analysis) and ``classifier_fid``; see ``judge.py``."""

import io
import time

import numpy as np

from gan_jax.evaluators.base import EVALUATORS
from gan_jax.evaluators.judge import ClassifierEvaluator

COVERED_SHARE = 0.1  # a class is covered when it holds >= 10% of a uniform share


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
  """The judge's class histogram of samples, its KL to uniform and the classes covered."""
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
  """FID and KID in the judge classifier's feature space (for MNIST-like data)."""
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
