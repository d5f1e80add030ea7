"""A procedural multi-object shapes dataset (i-CLEVR-like), 64x64 RGB, multi-hot labels.

Each image holds 1 to 3 objects of distinct classes on a plain grey background; a class is
one of 3 shapes x 8 colours (24 classes, index ``shape * 8 + colour``, named like "red
circle"); the label is the 24-dim multi-hot vector of the classes drawn. Objects have a random
size (half-extent 7 to 12 px) and position, placed so that no object covers another's centre
and no two overlap heavily (centre distance >= 0.75 x the sum of their bounding radii).
Edges are antialiased: each pixel's coverage is clip(0.5 - d, 0, 1) for the signed distance
d (in px) from the pixel centre to the shape's boundary, a 1-px ramp.

Everything is a function of ``(seed, split, index)`` (numpy's PCG64 seeded with that triple),
so the same seed gives the same bytes, and any image can be redrawn alone. The dataset is a
TFDS dataset (``shapes_builder.py``, prepared locally in a minute); the two condition lists
``test`` and ``new_test`` (32 conditions each, as the i-CLEVR conditional-DCGAN report's
evaluation) are JSON files beside this module.
"""

import json
import os

import numpy as np

SHAPES = ("square", "circle", "triangle")
COLOURS = {  # CLEVR's palette
    "gray": (87, 87, 87), "red": (173, 35, 35), "blue": (42, 75, 215), "green": (29, 105, 20),
    "brown": (129, 74, 25), "purple": (129, 38, 192), "cyan": (41, 208, 208),
    "yellow": (255, 238, 51)}
COLOUR_NAMES = tuple(COLOURS)
NUM_CLASSES = len(SHAPES) * len(COLOURS)  # 24
CLASS_NAMES = tuple(f"{c} {s}" for s in SHAPES for c in COLOUR_NAMES)
BACKGROUND = (200, 200, 200)
IMAGE_SIZE = 64
SIZE_RANGE = (7.0, 12.0)   # half-extent in px
MAX_OBJECTS = 3
SPLIT_IDS = {"train": 0, "test": 1}
CONDITIONS_DIR = os.path.join(os.path.dirname(__file__), "shapes_conditions")
CONDITION_LISTS = ("test", "new_test")
# bounding radius / half-extent of each shape (square: half-side 0.85 s; triangle: side 2.2 s)
_BOUND = {"square": 0.85 * np.sqrt(2), "circle": 1.0, "triangle": 2.2 / np.sqrt(3)}


def class_index(shape: str, colour: str) -> int:
  return SHAPES.index(shape) * len(COLOURS) + COLOUR_NAMES.index(colour)


def _sdf(shape: str, x, y, s):
  """Signed distance (px, negative inside) from points (x, y) relative to the centre, y down."""
  if shape == "circle":
    return np.hypot(x, y) - s
  if shape == "square":
    h = 0.85 * s
    qx, qy = np.abs(x) - h, np.abs(y) - h
    return np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0)
  # equilateral triangle pointing up, side 2r, centroid at the centre (Quilez's exact SDF)
  r, k = 1.1 * s, np.sqrt(3.0)
  px, py = np.abs(x) - r, -y + r / k
  fold = px + k * py > 0
  px, py = np.where(fold, (px - k * py) / 2, px), np.where(fold, (-k * px - py) / 2, py)
  px = px - np.clip(px, -2 * r, 0)
  return -np.hypot(px, py) * np.sign(py)


def draw_objects(rng: np.random.Generator) -> list[dict]:
  """1..3 objects of distinct classes: {shape, colour, x, y, size} (x, y: centre in px).
  Sizes and places are drawn object by object; a layout with no room left for the next
  object is drawn again from its first object."""
  n = int(rng.integers(1, MAX_OBJECTS + 1))
  classes = rng.choice(NUM_CLASSES, n, replace=False)
  for _ in range(1000):
    objects = []
    for c in classes:
      shape, colour = SHAPES[c // len(COLOURS)], COLOUR_NAMES[c % len(COLOURS)]
      for _ in range(50):
        s = float(rng.uniform(*SIZE_RANGE))
        b = _BOUND[shape] * s
        x, y = (float(v) for v in rng.uniform(b + 1, IMAGE_SIZE - 1 - b, 2))
        if all(_apart(x, y, b, o) for o in objects):
          objects.append(dict(shape=shape, colour=colour, x=x, y=y, size=s))
          break
      else:
        break  # no room: draw the layout again
    if len(objects) == n:
      return objects
  raise RuntimeError("could not place the objects without heavy overlap")


def _apart(x, y, b, other) -> bool:
  ob = _BOUND[other["shape"]] * other["size"]
  d = np.hypot(x - other["x"], y - other["y"])
  return d >= max(b, ob) + 2 and d >= 0.75 * (b + ob)


def render(objects: list[dict], size: int = IMAGE_SIZE) -> np.ndarray:
  """uint8 (size, size, 3): the objects painted in order over the background, antialiased."""
  yy, xx = np.mgrid[:size, :size].astype(np.float64) + 0.5  # pixel centres
  img = np.broadcast_to(np.asarray(BACKGROUND, np.float64), (size, size, 3)).copy()
  for o in objects:
    cover = np.clip(0.5 - _sdf(o["shape"], xx - o["x"], yy - o["y"], o["size"]), 0, 1)[..., None]
    img = img * (1 - cover) + np.asarray(COLOURS[o["colour"]], np.float64) * cover
  return np.clip(np.round(img), 0, 255).astype(np.uint8)


def label_of(objects: list[dict]) -> np.ndarray:
  """The multi-hot vector (24,) float32 of the objects' classes."""
  y = np.zeros(NUM_CLASSES, np.float32)
  for o in objects:
    y[class_index(o["shape"], o["colour"])] = 1.0
  return y


def example(seed: int, split: str, index: int) -> dict:
  """Image, label and rendering parameters of example ``index`` of ``split``."""
  rng = np.random.default_rng([seed, SPLIT_IDS[split], index])
  objects = draw_objects(rng)
  return {"image": render(objects), "label": label_of(objects), "objects": objects}


# ---- condition lists ----------------------------------------------------------------------

def make_condition_list(name: str, count: int = 32) -> list[list[str]]:
  """The fixed condition list ``name``: ``test`` draws 1-3 objects as the training data does;
  ``new_test`` only 2-3, every condition a combination the ``test`` list does not hold."""
  rng = np.random.default_rng([2024, CONDITION_LISTS.index(name)])
  out, seen = [], {tuple(c) for c in (make_condition_list("test") if name == "new_test" else [])}
  while len(out) < count:
    n = int(rng.integers(1, 4)) if name == "test" else int(rng.integers(2, 4))
    cond = sorted(CLASS_NAMES[i] for i in rng.choice(NUM_CLASSES, n, replace=False))
    if tuple(cond) not in seen:
      seen.add(tuple(cond))
      out.append(cond)
  return out


def load_conditions(name: str) -> np.ndarray:
  """The condition list ``name`` (``test`` | ``new_test``) as multi-hot vectors (32, 24)."""
  if name not in CONDITION_LISTS:
    from gan_jax.utils.errors import ConfigError
    raise ConfigError(f"unknown shapes condition list {name!r}; choose one of "
                      f"{list(CONDITION_LISTS)}.")
  with open(os.path.join(CONDITIONS_DIR, f"{name}.json")) as f:
    return encode(json.load(f))


def encode(conditions: list[list[str]]) -> np.ndarray:
  """Lists of class names -> multi-hot vectors (N, 24); an unknown name is a clear error."""
  out = np.zeros((len(conditions), NUM_CLASSES), np.float32)
  for i, names in enumerate(conditions):
    for n in names:
      if n not in CLASS_NAMES:
        from gan_jax.utils.errors import ConfigError
        raise ConfigError(f"unknown shapes class {n!r}; classes are '<colour> <shape>' with "
                          f"colour in {list(COLOUR_NAMES)} and shape in {list(SHAPES)}.")
      out[i, CLASS_NAMES.index(n)] = 1.0
  return out


def _register():
  from gan_jax.data.specs import DATASETS, DatasetSpec
  for name, config in (("shapes", "default"), ("shapes_small", "small")):
    DATASETS.register(name, DatasetSpec(
        about=("colour shapes on grey, 64x64, multi-hot conditions (i-CLEVR's stand-in), drawn "
               "here" + (": the test-sized copy" if config == "small" else "")),
        channels=3, native_size=IMAGE_SIZE, num_classes=NUM_CLASSES, label_kind="multi_hot",
        tfds_name=f"gan_jax_shapes/{config}", class_names=CLASS_NAMES,
        local_builder="gan_jax.data.shapes_builder", condition_lists=load_conditions))


_register()
