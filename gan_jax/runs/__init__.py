"""A run's files: the run folder (the one reader and writer of them), its report and the
collector that tables many runs."""
