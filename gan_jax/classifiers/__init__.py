"""Classifiers trained in the repo, the judges of conditional and unconditional samples.

One small CNN per (dataset, preprocessing): the digit classifier (MNIST), the Fashion-MNIST
classifier and the multi-label shapes classifier. Each sees images exactly as the GAN does
(``data.image_size``, ``data.resize``, ``data.crop``), so a generated image goes in as it
comes out. A classifier is trained once, on first use (the first evaluation that needs it) or ahead
of time with

  python -m gan_jax.classify --dataset=mnist [--image_size=32 --resize=pad]

and cached as an orbax checkpoint in ``<cache>/classifiers/<dataset>-<hash>/``, the hash
covering its recipe (``Recipe``), the preprocessing and the data (split sizes and a checksum
of the first training images); ``classifier.json`` beside it records the recipe and the
accuracy on the held-out ``test`` split: top-1 for classes, the i-CLEVR report's top-k
score for multi-hot labels.

Network (``Net``): per width w, two 3x3 convolutions with BN and ReLU, then 2x2 max pooling;
a linear layer from the flattened features to the class logits (small: it trains in minutes
on a CPU). Softmax cross-entropy for classes, sigmoid cross-entropy for multi-hot labels;
Adam with a cosine decay; random translations of up to ``translate`` px (2), and for the
shapes random horizontal flips (a mirror keeps every label: triangles point up either way).
"""

from gan_jax.classifiers.cache import get  # noqa: F401
from gan_jax.classifiers.net import RECIPES, Classifier, Net, Recipe, parse_widths  # noqa: F401
from gan_jax.classifiers.fit import evaluate_on, train_classifier  # noqa: F401
