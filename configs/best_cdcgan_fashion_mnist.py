"""The class-conditional variant of ``best_fashion_mnist``: the same networks, loss, optimiser
and EMA, with the one-hot class beside z at G's input and a projection discriminator
(Miyato & Koyama 2018: D's output plus the inner product of a learned class embedding with
D's last features; spectral norm on the embedding too). 54,000 steps (1 h 05 min at the 13.8
steps/s the training loop runs at alone on the 2-core Xeon, 2026-12-07): FID 10.34 there, on
docs/RESULTS.md, so it keeps the step count the unconditional recipe had then.

  python -m gan_jax.main --config=configs/best_cdcgan_fashion_mnist.py

At the end: FID (default protocol), intra-class FID (1,000 samples per class against each
class's test images, averaged), the Fashion-MNIST classifier's agreement with the asked class
on 10,000 samples, and diversity within a class. Sample grids have one row per class.
"""

from configs import best_fashion_mnist


def get_config():
  config = best_fashion_mnist.get_config()
  config.num_train_steps = 54000
  config.model.conditional = True
  config.model.g_label_dim = 0          # the one-hot class itself beside z
  config.model.d_label_input = "projection"
  config.num_grid_samples = 80          # 10 rows (classes) x 8 columns
  config.evals.class_accuracy.final = True
  config.evals.intra_fid.final = True
  config.evals.condition_diversity.final = True
  return config
