"""The procedural shapes dataset: deterministic, labels true to the drawing, valid condition
lists, and a real TFDS dataset read by index like any other."""

import json
import os

import numpy as np
import pytest

from gan_jax.data import shapes


def test_same_seed_same_bytes_and_other_seeds_or_indices_differ():
  a, b = shapes.example(0, "train", 7), shapes.example(0, "train", 7)
  assert a["image"].tobytes() == b["image"].tobytes()
  assert a["objects"] == b["objects"]
  assert a["image"].dtype == np.uint8 and a["image"].shape == (64, 64, 3)
  assert shapes.example(1, "train", 7)["image"].tobytes() != a["image"].tobytes()
  assert shapes.example(0, "test", 7)["image"].tobytes() != a["image"].tobytes()


def test_labels_are_the_classes_of_the_drawn_objects_and_each_object_is_visible():
  counts = set()
  for i in range(200):
    ex = shapes.example(0, "train", i)
    objects, img = ex["objects"], ex["image"].astype(int)
    counts.add(len(objects))
    expected = np.zeros(24, np.float32)
    for o in objects:  # the label re-derived from the rendering parameters
      expected[shapes.SHAPES.index(o["shape"]) * 8 + shapes.COLOUR_NAMES.index(o["colour"])] = 1
      assert shapes.SIZE_RANGE[0] <= o["size"] <= shapes.SIZE_RANGE[1]
      # the object's own colour at its centre: drawn, and covered by no other object
      centre = img[int(o["y"]), int(o["x"])]
      np.testing.assert_array_equal(centre, shapes.COLOURS[o["colour"]])
    np.testing.assert_array_equal(ex["label"], expected)
    assert ex["label"].sum() == len(objects)  # distinct classes
    # background elsewhere: the corners far from every object are plain
    assert (img == shapes.BACKGROUND).all(-1).mean() > 0.4
  assert counts == {1, 2, 3}


def test_shapes_differ_where_they_should():
  """A circle, a square and a triangle of the same size and place cover different pixels,
  and their coverage grows with size (the renderer draws what the label says)."""
  masks = {}
  for s in shapes.SHAPES:
    img = shapes.render([dict(shape=s, colour="red", x=32.0, y=32.0, size=9.0)])
    masks[s] = (img != shapes.BACKGROUND).any(-1)
    bigger = shapes.render([dict(shape=s, colour="red", x=32.0, y=32.0, size=10.0)])
    assert (bigger != shapes.BACKGROUND).any(-1).sum() > masks[s].sum()
  # painted pixels = the shape's area, give or take its 1-px antialiased rim
  s = 9.0
  area = {"square": (1.7 * s) ** 2, "circle": np.pi * s ** 2,
          "triangle": np.sqrt(3) / 4 * (2.2 * s) ** 2}
  rim = {"square": 4 * 1.7 * s, "circle": 2 * np.pi * s, "triangle": 3 * 2.2 * s}
  for k, m in masks.items():
    assert abs(m.sum() - area[k]) <= rim[k], k
  tri = masks["triangle"]
  rows = np.flatnonzero(tri.any(1))
  # the triangle points up: narrow at its top row, wide at its bottom row
  assert tri[rows[0]].sum() < tri[rows[-1]].sum() / 3


def test_condition_lists_are_valid_fixed_and_as_stored():
  for name in shapes.CONDITION_LISTS:
    with open(os.path.join(shapes.CONDITIONS_DIR, f"{name}.json")) as f:
      stored = json.load(f)
    assert stored == shapes.make_condition_list(name)  # regenerated: the same
    assert len(stored) == 32
    for cond in stored:
      assert len(cond) == len(set(cond)) and 1 <= len(cond) <= 3
      assert all(c in shapes.CLASS_NAMES for c in cond)
    y = shapes.load_conditions(name)
    assert y.shape == (32, 24)
    np.testing.assert_array_equal(y.sum(1), [len(c) for c in stored])
  test = {tuple(c) for c in shapes.make_condition_list("test")}
  new = shapes.make_condition_list("new_test")
  assert all(len(c) >= 2 and tuple(c) not in test for c in new)


def test_unknown_class_name_is_a_clear_error():
  from gan_jax.utils.errors import ConfigError
  with pytest.raises(ConfigError, match="unknown shapes class 'pink circle'.*colour in"):
    shapes.encode([["pink circle"]])


def test_tfds_builder_prepares_offline_and_loads_like_any_tfds_dataset(shapes_tfds):
  import tensorflow_datasets as tfds

  from gan_jax.data import load_split, shapes_builder
  # through gan_jax: prepared on first use (array_record; the fixture's first load_split),
  # read by index
  data_dir, cache = shapes_tfds
  src = load_split("shapes_small", "train", tfds_data_dir=data_dir, cache_dir=cache)
  assert len(src) == 4096 and src.shape == (64, 64, 3) and src.label_shape == (24,)
  images, labels = src.read([0, 4000])
  for i, idx in enumerate((0, 4000)):
    ex = shapes.example(shapes_builder.SEED, "train", idx)
    np.testing.assert_array_equal(images[i], ex["image"])
    np.testing.assert_array_equal(labels[i], ex["label"])
  # plain TFDS, rendering parameters included
  ds = tfds.load("gan_jax_shapes/small", split="test", data_dir=data_dir)
  first = next(iter(tfds.as_numpy(ds)))
  ex = shapes.example(shapes_builder.SEED, "test", 0)
  np.testing.assert_array_equal(first["image"], ex["image"])
  np.testing.assert_allclose(first["objects"]["x"], [o["x"] for o in ex["objects"]], rtol=1e-6)
  assert len(load_split("shapes_small", "test", tfds_data_dir=data_dir, cache_dir=cache)) == 512
