"""tools/attribute_scores.py: an asked object hits on its first word (the colour) when a top-k
label has that word, on its last word (the shape) likewise, on both only for its own label."""

import os
import sys

import numpy as np
from helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
from attribute_scores import split_hits  # noqa: E402

NAMES = ["red square", "blue square", "red circle", "blue circle"]


def test_a_right_colour_of_the_wrong_shape_hits_on_the_colour_only():
  labels = np.array([[1, 0, 0, 0],    # asked: red square; judged: red circle
                     [0, 1, 0, 1]])   # asked: blue square + blue circle; judged: blue square, red square
  logits = np.array([[0., 0., 5., 0.],
                     [4., 5., 0., 0.]])
  hits = split_hits(logits, labels, NAMES)
  assert hits == {"both": 1, "first": 3, "last": 1, "objects": 3}
