"""What generating needs, below both training and inference: the parts built from a config
(``parts.Generation``), drawing samples (``sampling``), the generator of a checkpoint
(``restore``) and the config's checks (``validate``)."""
