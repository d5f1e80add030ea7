"""``python -m gan_jax.classify``: see ``gan_jax.cli.classify``."""

from gan_jax.cli.classify import run

if __name__ == "__main__":
  run()
