"""``python -m gan_jax.ensemble``: see ``gan_jax.cli.ensemble``."""

from gan_jax.cli.ensemble import run

if __name__ == "__main__":
  run()
