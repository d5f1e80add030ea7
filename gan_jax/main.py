"""``python -m gan_jax.main``: see ``gan_jax.cli.main``."""

from gan_jax.cli.main import run

if __name__ == "__main__":
  run()
