"""``python -m gan_jax.fid``: see ``gan_jax.cli.fid``."""

from gan_jax.cli.fid import run

if __name__ == "__main__":
  run()
