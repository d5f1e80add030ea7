"""The commands (``python -m gan_jax.main``, ``.ensemble``, ``.collect``, ``.classify``,
``.fid`` and the console scripts), each a thin module on one boot path (``boot``)."""
