"""Anime faces as the conditional-BEGAN report had them (``data.name=anime_faces``): the tag
file read into one hair colour and one eye colour per image, the test descriptions as the
condition list, one-line errors naming the line, and the report's config trained, scored by
the two-attribute judge and sampled by colour names through the real reader."""

import json
import os

import numpy as np
import pytest
from formats import write_anime_faces
from helpers import run_main

from gan_jax import data
from gan_jax.data import anime


def test_the_tag_file_gives_one_hair_and_one_eye_colour_per_kept_image(tmp_path):
  root = str(tmp_path / "faces")
  kept = write_anime_faces(root, n=40)
  src = data.load_split("anime_faces", "train", folder=root)
  assert len(src) == len(kept) and src.files[0] == "0.jpg"
  for (i, hair, eyes), f, y in zip(kept, src.files, src.all_labels()):
    assert f == f"{i}.jpg"
    assert [anime.CLASS_NAMES[j] for j in np.flatnonzero(y)] == [f"{hair} hair", f"{eyes} eyes"]
  image, _ = src.read_image(0)
  assert image.shape == (96, 96, 3)
  spec = anime.resolve(type("D", (), {"folder": root})())
  conds = spec.condition_lists("test")
  assert conds.shape == (6, 23) and (conds.sum(1) == 2).all()
  assert anime.CLASS_NAMES[int(np.flatnonzero(conds[0])[0])] == "orange hair"


@pytest.mark.parametrize("damage,message", [
    ("row", "tags_clean.csv, line 3: 'no comma here' is not"),
    ("count", "line 1: 'blue hair:many' is not '<tag>:<count>'"),
    ("image", "tags 1 image(s) that"),
    ("test", "testing_tags.txt, line 2: '2,pink hair' is not"),
])
def test_a_damaged_folder_is_one_line_naming_the_line(tmp_path, damage, message):
  root = tmp_path / "faces"
  kept = write_anime_faces(str(root), n=12)
  tags = (root / "tags_clean.csv").read_text().splitlines()
  if damage == "row":
    tags[2] = "no comma here"
  elif damage == "count":
    tags[0] = "0,blue hair:many\tred eyes:3"
  elif damage == "image":
    os.remove(root / "faces" / f"{kept[1][0]}.jpg")
  (root / "tags_clean.csv").write_text("\n".join(tags) + "\n")
  if damage == "test":
    (root / "testing_tags.txt").write_text("1,red hair blue eyes\n2,pink hair\n")
  anime.catalogue.cache_clear()
  with pytest.raises(data.DatasetUnavailableError, match=message.replace("(", r"\(").replace(
      ")", r"\)")):
    data.load_split("anime_faces", "train", folder=str(root))
    anime.condition_list(str(root), "test")


def test_the_reports_config_trains_on_the_faces_scores_and_samples_by_colour(tmp_path):
  root = str(tmp_path / "faces")
  write_anime_faces(root, n=120)  # 72 kept: the judge's batch of 64 fits the 65 it trains on
  workdir = str(tmp_path / "run")
  args = ["--config=configs/cbegan_anime.py:cpu", f"--workdir={workdir}",
          f"--config.data.folder={root}", f"--config.data.cache_dir={tmp_path / 'cache'}",
          "--config.num_train_steps=4", "--config.sample_every=4", "--config.checkpoint_every=4",
          "--config.log_every=2", "--config.model.began.filters=8",
          "--config.evals.conditional_score.every=0",
          "--config.evals.conditional_score.classifier_steps=10",
          "--config.evals.conditional_score.classifier_widths=8,8,8",
          "--config.evals.condition_diversity.final=False"]
  r = run_main(args, timeout=600)
  assert r.returncode == 0, r.stderr[-3000:]
  assert "one hair and one eye colour" in r.stderr
  results = json.load(open(os.path.join(workdir, "results.json")))
  score = next(x for x in results if x["evaluator"] == "conditional_score")
  assert 0 <= score["score_test"] <= 1
  r = run_main(args + ["--mode=sample", "--labels=blonde hair,blue eyes;red hair,green eyes"])
  assert r.returncode == 0, r.stderr[-3000:]
