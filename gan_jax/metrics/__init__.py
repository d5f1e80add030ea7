"""FID, KID and the Inception Score: the Inception-v3 network in Flax (``inception``), its
weights reader (``weights``, ``torch_archive``), the input preprocessing (``preprocess``),
the statistics (``stats``), data-parallel feature extraction (``features``) and the
command line (``cli``)."""
