"""Diversity within a condition: ``condition_diversity``, in the judge's feature space."""

import time

import numpy as np

from gan_jax.evaluators.base import EVALUATORS
from gan_jax.evaluators.judge import ClassifierEvaluator
from gan_jax.utils.errors import ConfigError

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
  """How varied a conditional model's samples are within a condition, beside the real images.

  Diversity within a condition (collapse in z of a conditional model): for each condition
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
