"""Fixture writers: small datasets in exactly the layouts the reports' data is released in,
drawn with the shapes renderer, for tests that go through the real readers."""

import json
import os

import numpy as np

# (no gan_jax import at the top: tools/make_course_judge_golden.py imports this beside torch)

# i-CLEVR's objects and the course's objects.json order (shape-major: cubes, spheres,
# cylinders, each in CLEVR's 8 colours); the shapes renderer draws them as squares, circles
# and triangles (its SHAPES and COLOUR_NAMES, in their order: tests/data/iclevr_test.py)
ICLEVR_SHAPES = {"square": "cube", "circle": "sphere", "triangle": "cylinder"}
CLEVR_COLOURS = ("gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow")
ICLEVR_OBJECTS = [f"{c} {t}" for t in ICLEVR_SHAPES.values() for c in CLEVR_COLOURS]


def iclevr_name(o: dict) -> str:
  return f"{o['colour']} {ICLEVR_SHAPES[o['shape']]}"


def render_frame(objects, width=320, height=240) -> np.ndarray:
  """uint8 (height, width, 4) RGBA: the shapes' 64px layout stretched over the whole frame
  (objects reach its sides, which a centre crop would cut), alpha 255."""
  from gan_jax.data import shapes
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
  from PIL import Image

  from gan_jax.data import shapes
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


def write_anime_faces(root: str, n: int = 40, seed: int = 0, tests: int = 6) -> list:
  """An anime-faces folder as the conditional-BEGAN report had it: tags_clean.csv
  (``<id>,<tag>:<count><TAB>...``), faces/<id>.jpg (96x96) and testing_tags.txt. Each face
  is a disc of its hair colour around a smaller one of its eye colour; every fifth row has two
  hair colours and every seventh no eye colour (left out by the reader), and rows carry other
  tags too. Returns the kept ``(id, hair, eyes)``."""
  from PIL import Image

  from gan_jax.data import anime
  palette = {"orange": (255, 140, 0), "white": (245, 245, 245), "aqua": (0, 255, 255),
             "gray": (128, 128, 128), "green": (0, 160, 0), "red": (220, 20, 20),
             "purple": (128, 0, 128), "pink": (255, 150, 200), "blue": (30, 60, 230),
             "black": (10, 10, 10), "brown": (120, 70, 20), "blonde": (250, 230, 120),
             "yellow": (255, 255, 0)}
  rng = np.random.default_rng(seed)
  os.makedirs(os.path.join(root, "faces"), exist_ok=True)
  yy, xx = np.mgrid[:96, :96]
  kept, rows = [], []
  for i in range(n):
    hair, eyes = anime.HAIR[rng.integers(12)], anime.EYES[rng.integers(11)]
    img = np.full((96, 96, 3), 230, np.uint8)
    img[(yy - 48) ** 2 + (xx - 48) ** 2 < 40 ** 2] = palette[hair]
    img[(yy - 52) ** 2 + (xx - 48) ** 2 < 14 ** 2] = palette[eyes]
    Image.fromarray(img).save(os.path.join(root, "faces", f"{i}.jpg"), quality=95)
    tags = [f"{hair} hair:{rng.integers(1, 999)}", "long hair:40", "smile:3"]
    if i % 5 == 4:
      tags.append("pink hair:2" if hair != "pink" else "red hair:2")
    if i % 7 != 6:
      tags.append(f"{eyes} eyes:{rng.integers(1, 999)}")
    if i % 5 != 4 and i % 7 != 6:
      kept.append((i, hair, eyes))
    rows.append(f"{i}," + "\t".join(tags))
  with open(os.path.join(root, "tags_clean.csv"), "w") as f:
    f.write("\n".join(rows) + "\n")
  with open(os.path.join(root, "testing_tags.txt"), "w") as f:
    for j in range(tests):
      f.write(f"{j + 1},{anime.HAIR[j % 12]} hair {anime.EYES[j % 11]} eyes\n")
  return kept


def course_judge_state_dict(seed: int = 0, num_classes: int = 24) -> dict:
  """A torchvision ``resnet18`` state dict with the i-CLEVR course's head (``fc`` =
  Sequential(Linear(512, num_classes), Sigmoid)), random weights from numpy's generator:
  the same names, shapes and order as torchvision's (``tools/make_course_judge_golden.py``
  loads it into torchvision strictly)."""
  import collections
  rng = np.random.default_rng(seed)
  sd = collections.OrderedDict()

  def conv(name, o, i, k):
    sd[f"{name}.weight"] = (rng.normal(size=(o, i, k, k)) * np.sqrt(2.0 / (i * k * k))
                            ).astype(np.float32)

  def bn(name, c):
    sd[f"{name}.weight"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
    sd[f"{name}.bias"] = (rng.normal(size=c) * 0.1).astype(np.float32)
    sd[f"{name}.running_mean"] = (rng.normal(size=c) * 0.1).astype(np.float32)
    sd[f"{name}.running_var"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
    sd[f"{name}.num_batches_tracked"] = np.asarray(7, np.int64)

  conv("conv1", 64, 3, 7)
  bn("bn1", 64)
  inp = 64
  for i, (c, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), 1):
    for b in range(2):
      p = f"layer{i}.{b}"
      conv(f"{p}.conv1", c, inp if b == 0 else c, 3)
      bn(f"{p}.bn1", c)
      conv(f"{p}.conv2", c, c, 3)
      bn(f"{p}.bn2", c)
      if b == 0 and (stride != 1 or inp != c):
        conv(f"{p}.downsample.0", c, inp, 1)
        bn(f"{p}.downsample.1", c)
    inp = c
  sd["fc.0.weight"] = (rng.normal(size=(num_classes, 512)) * 0.05).astype(np.float32)
  sd["fc.0.bias"] = (rng.normal(size=num_classes) * 0.1).astype(np.float32)
  return sd
