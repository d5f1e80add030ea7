"""``python -m gan_jax.collect ROOT...``: see ``gan_jax.cli.collect``."""

import sys

from gan_jax.cli.collect import main

if __name__ == "__main__":
  sys.exit(main())
