"""Fixture writers: small datasets in exactly the layouts the reports' data is released in,
drawn with the shapes renderer, for tests that go through the real readers."""

import json
import os

import numpy as np
from PIL import Image

from gan_jax.data import shapes

# i-CLEVR's objects and the course's objects.json order (shape-major: cubes, spheres,
# cylinders, each in CLEVR's 8 colours); the shapes renderer draws them as squares, circles
# and triangles
ICLEVR_SHAPES = {"square": "cube", "circle": "sphere", "triangle": "cylinder"}
ICLEVR_OBJECTS = [f"{c} {ICLEVR_SHAPES[s]}" for s in shapes.SHAPES for c in shapes.COLOUR_NAMES]


def iclevr_name(o: dict) -> str:
  return f"{o['colour']} {ICLEVR_SHAPES[o['shape']]}"


def render_frame(objects, width=320, height=240) -> np.ndarray:
  """uint8 (height, width, 4) RGBA: the shapes' 64px layout stretched over the whole frame
  (objects reach its sides, which a centre crop would cut), alpha 255."""
  sx, sy = width / shapes.IMAGE_SIZE, height / shapes.IMAGE_SIZE
  yy, xx = np.mgrid[:height, :width].astype(np.float64) + 0.5
  img = np.broadcast_to(np.asarray(shapes.BACKGROUND, np.float64), (height, width, 3)).copy()
  for o in objects:
    d = shapes._sdf(o["shape"], (xx - o["x"] * sx) / sx, (yy - o["y"] * sy) / sy, o["size"])
    cover = np.clip(0.5 - d * min(sx, sy), 0, 1)[..., None]
    img = img * (1 - cover) + np.asarray(shapes.COLOURS[o["colour"]], np.float64) * cover
  rgb = np.clip(np.round(img), 0, 255).astype(np.uint8)
  return np.concatenate([rgb, np.full((height, width, 1), 255, np.uint8)], axis=-1)


def write_iclevr(root: str, n: int = 40, seed: int = 0, conditions: int = 8) -> dict:
  """An i-CLEVR folder as released: objects.json, train.json, test.json, new_test.json and
  images/ (320x240 RGBA PNG). Returns {file: [object names]}."""
  os.makedirs(os.path.join(root, "images"), exist_ok=True)
  with open(os.path.join(root, "objects.json"), "w") as f:
    json.dump({name: i for i, name in enumerate(ICLEVR_OBJECTS)}, f)
  train = {}
  for i in range(n):
    objects = shapes.draw_objects(np.random.default_rng([seed, i]))
    name = f"CLEVR_train_{i:06d}_0.png"
    Image.fromarray(render_frame(objects), "RGBA").save(os.path.join(root, "images", name))
    train[name] = [iclevr_name(o) for o in objects]
  with open(os.path.join(root, "train.json"), "w") as f:
    json.dump(train, f)
  rng = np.random.default_rng(seed + 1)
  for list_name in ("test", "new_test"):
    conds = [[ICLEVR_OBJECTS[j] for j in rng.choice(24, int(rng.integers(1, 4)), replace=False)]
             for _ in range(conditions)]
    with open(os.path.join(root, f"{list_name}.json"), "w") as f:
      json.dump(conds, f)
  return train
