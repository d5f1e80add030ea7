"""Any folder of images as a dataset: mixed sizes and formats, labels from sub-folders or a
CSV of tags, centre crop + resize, unreadable files named or skipped, an empty folder."""

import json
import logging
import os

import jax
import numpy as np
import pytest
from PIL import Image

from gan_jax import data
from gan_jax.data import pipeline
from gan_jax.training.build import Experiment
from gan_jax.utils import parallel
from gan_jax.utils.errors import ConfigError


def write(path, array, fmt=None):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.fromarray(array).save(path, format=fmt)


def make_folder(root, n_per_class=6):
  """cats/ (RGB PNGs 40x30, nested JPEGs) and dogs/ (grey and RGBA PNGs, 64x20), each with a
  white centred square and black margins, so a centre crop is exactly white."""
  rng = np.random.default_rng(0)
  for i in range(n_per_class):
    h, w = (30, 40) if i % 2 else (50, 50)
    img = np.zeros((h, w, 3), np.uint8)
    s = min(h, w)
    img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s] = 255
    if i % 3 == 0:
      write(os.path.join(root, "cats", "deep", f"c{i}.jpg"), img, "JPEG")
    else:
      write(os.path.join(root, "cats", f"c{i}.png"), img)
    grey = np.zeros((64, 20), np.uint8)
    grey[22:42] = 255
    if i % 2:
      write(os.path.join(root, "dogs", f"d{i}.PNG"), grey)
    else:
      rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
      write(os.path.join(root, "dogs", f"d{i}.png"), rgba)
  del rng
  return root


def test_mixed_sizes_and_formats_are_read_cropped_and_labelled_by_sub_folder(tmp_path):
  root = make_folder(str(tmp_path / "imgs"))
  src = data.load_split("image_folder", "train", folder=root, folder_channels=3)
  assert len(src) == 12 and src.label_kind == "class" and src.label_names == ["cats", "dogs"]
  assert src.shape is None  # mixed sizes: read one by one
  labels = [src.read_image(i)[1] for i in range(len(src))]
  assert sorted(labels) == [0] * 6 + [1] * 6
  it = pipeline.create_train_iterator(src, batch_size=4, image_size=16, resize="bilinear",
                                      seed=0, d_steps=1, start_step=0, num_steps=3, threads=2)
  batches = list(it)
  assert len(batches) == 3
  for b in batches:
    assert b["image"].shape == (1, 4, 16, 16, 3) and b["label"].shape == (1, 4)
    # the largest centred square of every image is its white square
    np.testing.assert_allclose(b["image"], 1.0, atol=0.03)
  # the order is a function of the step: a resumed iterator reads the same
  again = next(pipeline.create_train_iterator(src, batch_size=4, image_size=16,
                                              resize="bilinear", seed=0, d_steps=1, start_step=2,
                                              num_steps=3))
  np.testing.assert_array_equal(again["label"], batches[2]["label"])
  # an explicit crop smaller than the white square is still all white; grey images get 1 channel
  grey = data.load_split("image_folder", "train", folder=root, folder_channels=1)
  out = pipeline.images_for_metrics(grey, np.arange(12), 8, "area", crop=10)
  assert out.shape == (12, 8, 8, 1) and out.min() >= 250


def test_train_and_test_sub_folders_are_the_splits_and_a_csv_gives_multi_word_tags(tmp_path):
  """Tags are separated by ';' and may hold spaces: "blue eyes" is one tag."""
  root = tmp_path / "faces"
  for split, n in (("train", 5), ("test", 3)):
    rows = ["file,tags"]
    for i in range(n):
      write(str(root / split / f"{i}.png"), np.full((12, 10, 3), 40 * i, np.uint8))
      rows.append(f"{i}.png,{'blonde hair; blue eyes' if i % 2 else 'black hair'}")
    (root / split / "labels.csv").write_text("\n".join(rows) + "\n")
  train = data.load_split("image_folder", "train", folder=str(root))
  test = data.load_split("image_folder", "test", folder=str(root))
  assert (len(train), len(test)) == (5, 3)
  assert train.label_kind == "multi_hot"
  assert train.label_names == ["black hair", "blonde hair", "blue eyes"]
  np.testing.assert_array_equal(train.read_image(1)[1], [0, 1, 1])
  np.testing.assert_array_equal(train.read_image(2)[1], [1, 0, 0])
  np.testing.assert_array_equal(train.all_labels()[:3], [[1, 0, 0], [0, 1, 1], [1, 0, 0]])


def test_a_json_manifest_gives_tags_and_bad_manifests_say_what_to_do(tmp_path):
  root = tmp_path / "anime"
  for i in range(4):
    write(str(root / "a" / f"{i}.png"), np.full((8, 8, 3), 30 * i, np.uint8))
  manifest = {f"a/{i}.png": (["green hair", "red eyes"] if i < 2 else ["red eyes"])
              for i in range(4)}
  (root / "labels.json").write_text(json.dumps(manifest))
  src = data.load_split("image_folder", "train", folder=str(root))
  assert src.label_names == ["green hair", "red eyes"]
  np.testing.assert_array_equal(src.all_labels(), [[1, 1], [1, 1], [0, 1], [0, 1]])
  del manifest["a/3.png"]
  (root / "labels.json").write_text(json.dumps(manifest))
  with pytest.raises(data.DatasetUnavailableError, match="1 images.*no entry.*a/3.png"):
    data.load_split("image_folder", "train", folder=str(root))
  (root / "labels.json").write_text(json.dumps({"a/0.png": "red eyes"}))
  with pytest.raises(data.DatasetUnavailableError, match="lists of tags"):
    data.load_split("image_folder", "train", folder=str(root))
  (root / "labels.json").write_text(json.dumps({f"a/{i}.png": ["red, eyes"] for i in range(4)}))
  with pytest.raises(data.DatasetUnavailableError, match="rename the tag"):
    data.load_split("image_folder", "train", folder=str(root))


def test_a_corrupt_file_is_an_error_naming_it_or_is_skipped_and_counted(tmp_path, caplog):
  root = make_folder(str(tmp_path / "imgs"))
  bad = os.path.join(root, "cats", "broken.png")
  with open(os.path.join(root, "cats", "c1.png"), "rb") as f:
    head = f.read(60)  # a truncated PNG
  with open(bad, "wb") as f:
    f.write(head)
  with open(os.path.join(root, "dogs", "notes.jpg"), "w") as f:
    f.write("not an image")
  src = data.load_split("image_folder", "train", folder=root)
  with pytest.raises(data.UnreadableImageError, match="broken.png|notes.jpg") as e:
    list(pipeline.images_for_metrics(src, np.arange(len(src)), 16, "bilinear"))
  assert "skip_unreadable" in str(e.value)
  with caplog.at_level(logging.WARNING):
    kept = data.load_split("image_folder", "train", folder=root, skip_unreadable=True)
  assert len(kept) == 12 and len(src) == 14
  assert any("Leaving out 2 unreadable images" in r.getMessage() and "broken.png" in r.getMessage()
             for r in caplog.records)
  assert pipeline.images_for_metrics(kept, np.arange(12), 16, "bilinear").shape == (12, 16, 16, 3)


def test_an_empty_or_missing_folder_is_a_clear_error(tmp_path):
  (tmp_path / "empty" / "sub").mkdir(parents=True)
  (tmp_path / "empty" / "sub" / "readme.txt").write_text("no images")
  with pytest.raises(data.DatasetUnavailableError, match="no PNG/JPG images under"):
    data.load_split("image_folder", "train", folder=str(tmp_path / "empty"))
  with pytest.raises(data.DatasetUnavailableError, match="is not a folder"):
    data.load_split("image_folder", "train", folder=str(tmp_path / "nowhere"))


def test_a_gan_trains_on_a_folder_conditioned_on_its_sub_folders(tmp_path, test_config):
  root = make_folder(str(tmp_path / "imgs"), n_per_class=10)
  c = test_config
  c.data.name, c.data.folder, c.data.resize = "image_folder", root, "bilinear"
  c.data.image_size, c.data.batch_size = 16, 8
  c.model.conditional = True
  exp = Experiment(c, parallel.make_mesh(1))
  assert exp.channels == 3 and exp.condition.num_classes == 2
  state = exp.init_state()
  for batch in exp.data.train_batches(exp.data.load_split("train"), 0, 2):
    state, metrics = exp.train_step(state, exp.put_batch(batch))
  assert bool(metrics["finite"]) and int(state.step) == 2
  c.data.resize = "pad"  # these images cannot be padded to 16px: the first read says so
  exp = Experiment(c, parallel.make_mesh(1))
  with pytest.raises(ConfigError, match="data.resize='pad' cannot take"):
    next(exp.data.train_batches(exp.data.load_split("train"), 0, 1))
  c.data.resize, c.data.folder = "bilinear", ""
  with pytest.raises(ConfigError, match="data.folder"):
    Experiment(c, parallel.make_mesh(1))


def test_celeba_unprepared_without_network_says_how_to_prepare_it(tmp_path, monkeypatch):
  from gan_jax.data import load as sources
  monkeypatch.setattr(sources.fetch, "host_reachable", lambda host, port=443, timeout=3.0: False)
  with pytest.raises(data.DatasetUnavailableError, match="tfds build celeb_a --file_format=array_record"):
    data.load_split("celeb_a", "train", tfds_data_dir=str(tmp_path), cache_dir=str(tmp_path))


def test_generated_conditions_of_a_tagged_folder_are_its_own_tag_combinations(tmp_path,
                                                                             test_config):
  """(hair, eye) pairs of the training set, never a random set of 1-3 tags."""
  root = tmp_path / "anime"
  pairs = [["blue hair", "red eyes"], ["green hair", "blue eyes"], ["blue hair", "blue eyes"]]
  manifest = {}
  for i in range(12):
    write(str(root / f"{i}.png"), np.full((16, 16, 3), 20 * i, np.uint8))
    manifest[f"{i}.png"] = pairs[i % 3]
  (root / "labels.json").write_text(json.dumps(manifest))
  c = test_config
  c.data.name, c.data.folder, c.data.resize = "image_folder", str(root), "bilinear"
  c.data.image_size, c.data.batch_size = 16, 8
  c.model.conditional = True
  exp = Experiment(c, parallel.make_mesh(1))
  names = exp.spec.class_names or data.load_split("image_folder", "train",
                                                   folder=str(root)).label_names
  _, y = exp.sampler.draw(jax.random.PRNGKey(0), 300)
  drawn = {tuple(n for n, on in zip(names, row) if on) for row in np.asarray(y)}
  assert drawn == {tuple(sorted(p)) for p in pairs}
  c.model.label_draw = "random"
  _, y = Experiment(c, parallel.make_mesh(1)).sampler.draw(jax.random.PRNGKey(0), 300)
  assert len({tuple(r) for r in np.asarray(y).tolist()}) > 3


def test_pad_takes_a_folder_of_images_already_at_the_size(tmp_path, test_config):
  """A folder of 32x32 images at 32px with data.resize=pad trains (its size is known only
  when read, so it is checked per image, not refused up front)."""
  rng = np.random.default_rng(0)
  for i in range(16):
    write(str(tmp_path / "imgs" / f"{i:02d}.png"), rng.integers(0, 256, (32, 32, 3), np.uint8))
  c = test_config
  c.data.name, c.data.folder, c.data.resize = "image_folder", str(tmp_path / "imgs"), "pad"
  c.data.image_size, c.data.batch_size = 32, 8
  exp = Experiment(c, parallel.make_mesh(1))
  batch = next(exp.data.train_batches(exp.data.load_split("train"), 0, 1))
  assert batch["image"].shape == (1, 8, 32, 32, 3)
  c.data.resize, c.data.fit, c.data.crop = "bilinear", "squash", 24
  with pytest.raises(ConfigError, match="data.crop=24 crops, but data.fit='squash'"):
    Experiment(c, parallel.make_mesh(1))


def _tagged(root, tags):
  rng = np.random.default_rng(0)
  for i in range(len(tags)):
    write(str(root / f"{i}.png"), rng.integers(0, 256, (8, 8, 3), np.uint8))
  (root / "labels.json").write_text(json.dumps({f"{i}.png": t for i, t in enumerate(tags)}))


def test_a_vocabulary_file_orders_the_labels_and_conditions_come_from_files(tmp_path, test_config):
  """classes.txt gives the label order (not sorted), names every tag and names the grids;
  conditions/<list>.json are the evaluation lists; a tag the vocabulary lacks is one line."""
  root = tmp_path / "faces"
  _tagged(root, [["red eyes", "blue hair"], ["blue eyes"], ["blue hair"], []])
  (root / "classes.txt").write_text("blue hair\nred eyes\nblue eyes\n")
  (root / "conditions").mkdir()
  (root / "conditions" / "test.json").write_text(json.dumps([["red eyes", "blue hair"]]))
  src = data.load_split("image_folder", "train", folder=str(root))
  np.testing.assert_array_equal(src.all_labels(), [[1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0]])
  test_config.data.name, test_config.data.folder = "image_folder", str(root)
  spec = data.folder_spec(test_config.data)
  assert spec.class_names == ("blue hair", "red eyes", "blue eyes")
  np.testing.assert_array_equal(spec.condition_lists("test"), [[1, 1, 0]])
  with pytest.raises(ConfigError, match=r"'new_test' would be .*conditions/new_test.json.*\['test'\]"):
    spec.condition_lists("new_test")
  (root / "classes.txt").write_text("blue hair\nred eyes\n")
  with pytest.raises(data.DatasetUnavailableError, match="'blue eyes', which classes.txt does not"):
    data.load_split("image_folder", "train", folder=str(root))


def test_a_manifest_row_naming_a_missing_image_is_one_line(tmp_path):
  root = tmp_path / "faces"
  _tagged(root, [["red eyes"], ["blue eyes"]])
  os.remove(root / "1.png")
  with pytest.raises(data.DatasetUnavailableError, match="names 1 image.*does not hold, e.g. 1.png"):
    data.load_split("image_folder", "train", folder=str(root))


def test_celeba_as_released_splits_by_its_partition_file(tmp_path):
  root = tmp_path / "celeba"
  rng = np.random.default_rng(0)
  for i in range(1, 7):
    write(str(root / "img_align_celeba" / f"{i:06d}.jpg"),
          rng.integers(0, 256, (218, 178, 3), np.uint8))
  (root / "list_eval_partition.txt").write_text(
      "000001.jpg 0\n000002.jpg 0\n000003.jpg 0\n000004.jpg 1\n000005.jpg 2\n000006.jpg 2\n")
  sizes = {s: len(data.load_split("image_folder", s, folder=str(root)))
           for s in ("train", "validation", "test")}
  assert sizes == {"train": 3, "validation": 1, "test": 2}
  test = data.load_split("image_folder", "test", folder=str(root))
  assert test.files == ["img_align_celeba/000005.jpg", "img_align_celeba/000006.jpg"]
  assert test.label_kind == "none"
  (root / "list_eval_partition.txt").write_text("000001.jpg 0\n000009.jpg 0\n")
  with pytest.raises(data.DatasetUnavailableError, match="names 1 image.*000009.jpg"):
    data.load_split("image_folder", "train", folder=str(root))
  (root / "list_eval_partition.txt").write_text("000001.jpg train\n")
  with pytest.raises(data.DatasetUnavailableError, match="line 1: '000001.jpg train'"):
    data.load_split("image_folder", "train", folder=str(root))


def test_the_celeba_study_trains_and_samples_on_celeba_as_released(tmp_path):
  """A CelebA-like folder (178x218 JPEGs in img_align_celeba/, list_eval_partition.txt): the
  study's config trains a few steps through the image-folder reader and samples."""
  from helpers import run_main
  root = tmp_path / "celeba"
  rng = np.random.default_rng(0)
  lines = []
  for i in range(1, 41):
    write(str(root / "img_align_celeba" / f"{i:06d}.jpg"),
          rng.integers(0, 256, (218, 178, 3), np.uint8))
    lines.append(f"{i:06d}.jpg {0 if i <= 32 else 2}")
  (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
  workdir = str(tmp_path / "run")
  args = ["--config=configs/dcgan_celeba64_transposed.py:cpu", f"--workdir={workdir}",
          "--config.data.name=image_folder", f"--config.data.folder={root}",
          "--config.data.train_subset=0", "--config.data.batch_size=8",
          "--config.num_train_steps=2", "--config.evals.fid.final=False",
          "--config.sample_every=2", "--config.checkpoint_every=2"]
  r = run_main(args, timeout=600)
  assert r.returncode == 0, r.stderr[-3000:]
  assert "image folder" in r.stderr and "32 images" in r.stderr  # the partition's train split
  r = run_main(args + ["--mode=sample"])
  assert r.returncode == 0, r.stderr[-3000:]
