"""A class-conditional DCGAN on MNIST: the dcgan_mnist networks with the digit's one-hot label
beside z at G's input and ten label planes (one constant plane per class) beside the image
at D's input, the usual conditional-DCGAN construction.

  python -m gan_jax.main --config=configs/cdcgan_mnist.py

Sample grids have one row per digit class, the same noise down each column. At the end: FID
and the digit classifier's agreement with the asked class (``class_accuracy``; the
classifier is trained once, on first use). Otherwise the
schedule of dcgan_mnist: batch 64, 5000 steps, Adam 2e-4 / beta1 0.5, non-saturating BCE.
Measured on a 2-core CPU (about 1.9 steps/s): after 600 steps the grid's rows are the ten
digits in order, in varied styles. With a learned 50-d label embedding instead
(``--config.model.g_label_dim=50``) the generator ignored z that early (every column of a row
alike); the one-hot label keeps z in charge of the style.
"""

from configs import dcgan_mnist


def get_config():
  config = dcgan_mnist.get_config()
  config.model.conditional = True
  config.model.g_label_dim = 0          # the one-hot label itself beside z
  config.model.d_label_input = "planes"
  config.num_grid_samples = 80          # 10 rows (classes) x 8 columns
  config.evals.class_accuracy.final = True
  config.evals.condition_diversity.final = True   # collapse in z within a condition
  return config
