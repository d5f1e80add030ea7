"""Experiment configs: one get_config() per experiment (not installed; run from a clone)."""
