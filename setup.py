"""gan_jax: GANs in JAX/Flax with numbers you can trust."""

from setuptools import find_packages, setup

setup(
    name="gan_jax",
    version="0.1.0",
    description="GAN research codebase in JAX/Flax: DCGAN, MLP, WGAN, BEGAN, conditional GANs "
                "and ACGAN, FID/KID/IS with the standard Inception network.",
    # configs/ stays a folder of the clone (python -m gan_jax.main --config=configs/x.py); it is
    # not installed, so no top-level package name can collide with another distribution's.
    packages=find_packages(include=["gan_jax", "gan_jax.*"]),
    package_data={"gan_jax.data": ["shapes_conditions/*.json"]},
    python_requires=">=3.11",          # the pinned jax, flax and orbax need it
    install_requires=[
        "jax>=0.10.2,<0.11",
        "flax>=0.12,<0.13",
        "optax>=0.2.4,<0.3",
        "orbax-checkpoint>=0.12,<0.13",
        "array_record>=0.8",               # prepared datasets, read by index (data/records.py)
        "ml_collections>=1.1,<2",
        "tensorboard>=2.21,<2.22",   # event files are written with its protos (runs/events.py)
        "numpy>=1.26",
        "scipy>=1.11",               # the matrix square root of FID (metrics/stats.py)
        "pillow>=10",
        "matplotlib>=3.8",           # evaluation figures (class histograms)
        "absl-py>=2",
        "filelock>=3.12",            # JAX's compilation cache, shared by concurrent runs
        "clu>=0.0.12",               # parameter tables (clu.parameter_overview)
    ],
    extras_require={
        # TensorFlow and TFDS prepare datasets (once, into the cache); training, evaluation
        # and sampling never import them. Where TensorFlow is installed already (a GPU image),
        # tensorflow-datasets alone is enough; without either, prepared data copied here runs.
        "prepare": ["tensorflow-cpu>=2.21,<2.22", "tensorflow-datasets>=4.9.9,<5",
                    "importlib_resources"],   # TFDS's download path imports it
        "cuda12": ["jax[cuda12]>=0.10.2,<0.11"],
        "cuda13": ["jax[cuda13]>=0.10.2,<0.11"],
        "test": ["pytest>=8", "pytest-xdist>=3.5", "tensorflow-cpu>=2.21,<2.22",
                 "tensorflow-datasets>=4.9.9,<5", "importlib_resources",
                 "nbclient>=0.10", "nbformat>=5.10", "ipykernel>=6.29"],  # the example notebook
    },
    entry_points={"console_scripts": ["gan_jax=gan_jax.main:run",
                                      "gan_jax_fid=gan_jax.fid:run"]},
)
