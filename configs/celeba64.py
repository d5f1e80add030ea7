"""The CelebA upsampling/WGAN study's data and schedule, shared by its configs: CelebA at
64x64 (the GAN papers' crop: the centred 108x108 square, resized to 64 with area averaging),
batch 128, Adam(2e-4, 0.5, 0.999), latent 100, DCGAN widths 64 (G: 512-256-128-64, D: 64-128-
256-512).

CelebA is read from TFDS (`celeb_a`, prepared once with `tfds build celeb_a
--file_format=array_record`, see the README). Without it, every config of the study runs on
Fashion-MNIST resized to 64x64 (grey, offline):
  --config.data.name=fashion_mnist --config.data.crop=0 --config.data.resize=bilinear
The study trained on a 10,000-image subset of CelebA; 5,000 steps here is 3 epochs of the
whole training split (162,770 images).
"""

from configs import default


def get_config():
  config = default.get_config()
  config.num_train_steps = 5000
  config.data.name = "celeb_a"
  config.data.image_size = 64
  config.data.crop = 108
  config.data.resize = "area"
  config.data.batch_size = 128
  config.data.decode_threads = 2
  config.model.name = "dcgan"
  config.model.latent_dim = 100
  config.model.g_hidden = 64
  config.model.d_hidden = 64
  config.evals.fid.reference_split = "train"
  config.sample_every = 250
  config.checkpoint_every = 500
  return config
