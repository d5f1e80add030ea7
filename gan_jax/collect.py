"""``python -m gan_jax.collect ROOT...``: see ``gan_jax.runs.collect``."""

import sys

from gan_jax.runs.collect import main

if __name__ == "__main__":
  sys.exit(main())
