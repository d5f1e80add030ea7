"""The DCGAN-vs-MLP MNIST study's best CNN GAN on MNIST: latent 16, hidden 100.

  python -m gan_jax.main --config=configs/dcgan_mnist.py

32x32 (28 padded by 2), batch 64, 5000 steps, Adam 2e-4 / beta1 0.5, non-saturating BCE,
seed 42, as the study ran it. The study's FID for this setting (its own FID code, so only
the ordering compares): 29.4 and 31.1 in its two reports. Measured here on a 2-core CPU:
about 2 steps/s (42.5 min of training), clearly recognisable digits of every class in
``samples/step_005000.png``. Sweep the study's grid with ``launch/sweep.py`` (README).

  python -m gan_jax.main --config=configs/dcgan_mnist.py:cpu

The ``cpu`` preset is the reduced budget of the study's reproduction on a 2-core CPU
(``launch/reproduce.py``, docs/REPRODUCTION.md): 1,000 steps, and at the end FID on 1,000
samples against 1,000 test images (Inception on a CPU runs ~9 images/s), FID in the digit
classifier's feature space on 10,000 vs 10,000, and the class histogram of 10,000 samples.
"""

from configs import default


def get_config(preset=""):
  return study_preset(default.get_config(), preset, cpu_steps=1000)


def study_preset(config, preset, cpu_steps=None):
  """``preset``: '' (the study's settings) or 'cpu' (``cpu_steps`` steps, None = the
  config's own, and the cheaper final evaluations described above)."""
  if preset not in ("", "cpu"):
    raise ValueError(f"unknown preset {preset!r} (known: cpu); e.g. --config=<file>.py:cpu")
  if preset == "cpu":
    if cpu_steps is not None:
      config.num_train_steps = cpu_steps
    config.evals.fid.final_num_samples = 1000
    config.evals.fid.reference_count = 1000
    config.evals.classifier_fid.final = True
    config.evals.class_histogram.final = True
  return config
